/* A full disk for the tests, without a small filesystem: a VFS in front of
 * SQLite's own whose writes fail with SQLITE_FULL (what SQLite returns on
 * ENOSPC) while the disk is "full". Reads go on as before. */
#ifndef TC_FULL_DISK_H
#define TC_FULL_DISK_H

/* Makes every SQLite write in this process fail (on = 1) or work (on = 0).
 * The first call installs the VFS as the default; connections opened before
 * it keep the real one, so call it before the server under test starts. */
int tc_disk_full(int on);
/* Makes every sync (fsync of the file or its WAL) take ms longer, 0: as
 * the disk does. The same VFS, the same rule about connections. */
int tc_disk_sync_ms(int ms);

#endif
