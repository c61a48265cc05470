/* The full-disk VFS of the tests (see full_disk.h): SQLite's default VFS with
 * every file's xWrite refused while full is set, and every xSync made slow
 * while sync_ms is. */
#include "tests/unit/full_disk.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int full, sync_ms;
static sqlite3_vfs shim, *real;

struct shim_file {
	sqlite3_file base;   /* its pMethods: shim_io */
	sqlite3_file *real;  /* the real VFS's file, right after this struct */
};

static sqlite3_file *R(sqlite3_file *f)
{
	return ((struct shim_file *)f)->real;
}

static int s_close(sqlite3_file *f) { return R(f)->pMethods->xClose(R(f)); }
static int s_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return R(f)->pMethods->xRead(R(f), b, n, o); }
static int s_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
	return atomic_load(&full) ? SQLITE_FULL : R(f)->pMethods->xWrite(R(f), b, n, o);
}
static int s_truncate(sqlite3_file *f, sqlite3_int64 n) { return R(f)->pMethods->xTruncate(R(f), n); }
static int s_sync(sqlite3_file *f, int fl)
{
	int ms = atomic_load(&sync_ms);
	if (ms)
		usleep((useconds_t)ms * 1000);
	return R(f)->pMethods->xSync(R(f), fl);
}
static int s_size(sqlite3_file *f, sqlite3_int64 *n) { return R(f)->pMethods->xFileSize(R(f), n); }
static int s_lock(sqlite3_file *f, int l) { return R(f)->pMethods->xLock(R(f), l); }
static int s_unlock(sqlite3_file *f, int l) { return R(f)->pMethods->xUnlock(R(f), l); }
static int s_check(sqlite3_file *f, int *o) { return R(f)->pMethods->xCheckReservedLock(R(f), o); }
static int s_fcntl(sqlite3_file *f, int op, void *a) { return R(f)->pMethods->xFileControl(R(f), op, a); }
static int s_sector(sqlite3_file *f) { return R(f)->pMethods->xSectorSize(R(f)); }
static int s_dev(sqlite3_file *f) { return R(f)->pMethods->xDeviceCharacteristics(R(f)); }
static int s_shmmap(sqlite3_file *f, int pg, int sz, int ext, void volatile **p)
{
	return R(f)->pMethods->xShmMap(R(f), pg, sz, ext, p);
}
static int s_shmlock(sqlite3_file *f, int off, int n, int fl) { return R(f)->pMethods->xShmLock(R(f), off, n, fl); }
static void s_shmbarrier(sqlite3_file *f) { R(f)->pMethods->xShmBarrier(R(f)); }
static int s_shmunmap(sqlite3_file *f, int del) { return R(f)->pMethods->xShmUnmap(R(f), del); }
static int s_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) { return R(f)->pMethods->xFetch(R(f), o, n, p); }
static int s_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) { return R(f)->pMethods->xUnfetch(R(f), o, p); }

static const sqlite3_io_methods shim_io = {
	3, s_close, s_read, s_write, s_truncate, s_sync, s_size, s_lock, s_unlock, s_check, s_fcntl,
	s_sector, s_dev, s_shmmap, s_shmlock, s_shmbarrier, s_shmunmap, s_fetch, s_unfetch,
};

static int s_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
	(void)v;
	struct shim_file *s = (struct shim_file *)f;
	s->real = (sqlite3_file *)(s + 1);
	memset(s->real, 0, (size_t)real->szOsFile);
	int rc = real->xOpen(real, name, s->real, flags, out);
	/* No methods: SQLite will not call xClose, so neither may we. */
	f->pMethods = rc == SQLITE_OK && s->real->pMethods ? &shim_io : NULL;
	return rc;
}

static int s_delete(sqlite3_vfs *v, const char *n, int d) { (void)v; return real->xDelete(real, n, d); }
static int s_access(sqlite3_vfs *v, const char *n, int fl, int *o) { (void)v; return real->xAccess(real, n, fl, o); }
static int s_full(sqlite3_vfs *v, const char *n, int sz, char *o) { (void)v; return real->xFullPathname(real, n, sz, o); }
static int s_random(sqlite3_vfs *v, int n, char *o) { (void)v; return real->xRandomness(real, n, o); }
static int s_sleep(sqlite3_vfs *v, int us) { (void)v; return real->xSleep(real, us); }
static int s_time(sqlite3_vfs *v, double *o) { (void)v; return real->xCurrentTime(real, o); }
static int s_error(sqlite3_vfs *v, int n, char *o) { (void)v; return real->xGetLastError(real, n, o); }
static int s_time64(sqlite3_vfs *v, sqlite3_int64 *o) { (void)v; return real->xCurrentTimeInt64(real, o); }

static int install(void)
{
	if (!real) {
		real = sqlite3_vfs_find(NULL);
		if (!real)
			return -1;
		shim = (sqlite3_vfs){
			.iVersion = 2, .szOsFile = (int)sizeof(struct shim_file) + real->szOsFile,
			.mxPathname = real->mxPathname, .zName = "tc-full-disk",
			.xOpen = s_open, .xDelete = s_delete, .xAccess = s_access, .xFullPathname = s_full,
			.xDlOpen = real->xDlOpen, .xDlError = real->xDlError, .xDlSym = real->xDlSym,
			.xDlClose = real->xDlClose, .xRandomness = s_random, .xSleep = s_sleep,
			.xCurrentTime = s_time, .xGetLastError = s_error, .xCurrentTimeInt64 = s_time64,
		};
		if (sqlite3_vfs_register(&shim, 1) != SQLITE_OK)
			return -1;
	}
	return 0;
}

int tc_disk_full(int on)
{
	if (install())
		return -1;
	atomic_store(&full, on);
	return 0;
}

int tc_disk_sync_ms(int ms)
{
	if (install())
		return -1;
	atomic_store(&sync_ms, ms);
	return 0;
}
