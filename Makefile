# madoguchi — one binary, one test runner.
#   make            build ./madoguchi
#   make run        install what is missing, build, start the server with the demo page
#   make test       install what is missing, build, run every test
#   make test SANITIZER=address,undefined   the same under ASan + UBSan
#   make bench      benchmarks whose figures go in the README
#   make fuzz       run the libFuzzer harnesses briefly (the ask path, the date parser, the
#                   redaction, the knowledge-base import, the synonyms file, a booking's
#                   contact fields, the JMdict/EDICT reader, the booking set-up imports,
#                   town.json, the client's address behind a proxy, a change's preview)

CC       ?= cc
SANITIZER ?=
WERROR   ?=
OPT      ?= -O2

DEB_PACKAGES = build-essential pkg-config libmecab-dev mecab mecab-ipadic-utf8 \
	libsqlite3-dev libstemmer-dev libmicrohttpd-dev libutf8proc-dev libjansson-dev \
	libcsv-dev libsodium-dev tzdata edict
# Groonga 13 with its MeCab tokenizer for tests/bench/groonga.sh. The tokenizer
# needs mecab-naist-jdic or mecab-jumandic-utf8; naist-jdic would take over the
# system's MeCab dictionary from ipadic (alternatives priority 100 against 80),
# so jumandic is named for apt to take (and nlp/ names ipadic's folder anyway).
DEB_BENCH    = wrk nginx-light hyperfine jq groonga-bin mecab-jumandic-utf8 groonga-tokenizer-mecab
DEB_FUZZ     = clang libclang-rt-14-dev
# Browser tests: Debian's chromium, node for playwright-core, and fonts so that
# the screenshots show Japanese text and the 👍/👎 buttons.
DEB_E2E      = chromium nodejs fonts-ipafont-gothic fonts-noto-color-emoji

PKGS     = sqlite3 libmicrohttpd libutf8proc jansson libsodium
CFLAGS  += -std=c11 $(OPT) -g -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 \
	   -Wno-overlength-strings $(WERROR) -I. \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(shell mecab-config --cflags 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
	   $(shell mecab-config --libs 2>/dev/null) -lstemmer -lcsv -lpthread -lm

ifeq ($(FUZZ),1)
  CC       = clang
  BUILD    = build/fuzz
  CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
  BIN      = $(BUILD)/madoguchi
else ifneq ($(SANITIZER),)
  # A folder per sanitizer set: objects of one must never be linked or run as another's.
  comma   := ,
  BUILD    = build/san-$(subst $(comma),-,$(SANITIZER))
  CFLAGS  += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=$(SANITIZER)
  BIN      = $(BUILD)/madoguchi
else
  BUILD    = build/rel
  BIN      = madoguchi
endif

LIB_SRC  = $(filter-out chatbot/main.c,$(wildcard nlp/*.c kb/*.c chatbot/*.c reservation/*.c widget/*.c))
TEST_SRC = $(wildcard tests/unit/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/%.o)
RUNNER   = $(BUILD)/unit-tests

# Files built into the binary (see kb/sample.c, widget/assets.c).
EMBEDDED = kb/data/faq.csv kb/data/synonyms.tsv kb/data/town.json

.PHONY: all deps run test unit eval-check bench bench-http e2e fuzz clean distclean

all: $(BIN)

$(BIN): $(LIB_OBJ) $(BUILD)/chatbot/main.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(RUNNER): $(LIB_OBJ) $(TEST_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# One libFuzzer harness per tests/fuzz/fuzz_NAME.c: build/fuzz/fuzz-NAME (FUZZ=1);
# a harness with a rule of its own (fuzz-date) links only what it needs.
$(BUILD)/fuzz-%: tests/fuzz/fuzz_%.c $(LIB_OBJ)
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz-date: tests/fuzz/fuzz_date.c $(BUILD)/nlp/date.o $(BUILD)/nlp/mg.o $(BUILD)/nlp/buf.o
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^
$(BUILD)/fuzz-client: tests/fuzz/fuzz_client.c $(BUILD)/widget/client.o
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^

# One benchmark program per tests/bench/bench_NAME.c: build/rel/bench-NAME.
$(BUILD)/bench-%: $(BUILD)/tests/bench/bench_%.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/kb/sample.o: $(EMBEDDED)

# The widget's static files, built into the binary with their gzip -9
# (see widget/assets.c); -n keeps the bytes the same from build to build.
WIDGET_STATIC = $(filter-out widget/static/admin,$(wildcard widget/static/*)) \
		$(filter-out %.LICENSE %.README,$(wildcard widget/static/admin/*))
WIDGET_GZ     = $(WIDGET_STATIC:%=$(BUILD)/%.gz)
$(BUILD)/widget/static/%.gz: widget/static/%
	@mkdir -p $(dir $@)
	gzip -9 -n -c $< > $@
$(BUILD)/widget/assets.o: $(WIDGET_STATIC) $(WIDGET_GZ)
$(BUILD)/widget/assets.o: CFLAGS += -DASSETS_BUILD='"$(BUILD)"'

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/chatbot/main.d \
	$(wildcard $(BUILD)/tests/bench/*.d)

# Installs the Debian packages that are missing (needs root and the package archive).
# Waits up to APT_LOCK_WAIT seconds for another apt or dpkg run to let go of its
# lock (a package install started beside the tests, or an unattended upgrade)
# instead of failing at once: apt-get waits for dpkg's lock itself; for the
# package lists' lock `update` does not, so it is tried again every 5 s.
APT_LOCK_WAIT ?= 600
APT_GET = apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_WAIT)
deps:
	@missing=""; for p in $(DEB_PACKAGES) $(EXTRA_DEB); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  waited=0; until $(APT_GET) update -qq; do \
	    [ $$waited -lt $(APT_LOCK_WAIT) ] || exit 1; sleep 5; waited=$$((waited + 5)); \
	  done; \
	  DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq --no-install-recommends $$missing; \
	fi

run: deps
	$(MAKE) all
	./$(BIN) serve

# MADOGUCHI: the program itself, for the tests that start it as a town does.
unit: $(RUNNER) $(BIN)
	MADOGUCHI=$(CURDIR)/$(BIN) ./$(RUNNER)

# The answer-quality floor: fails when the labelled set drops below the figures
# recorded in tests/eval/floor.conf (raised as the engine improves).
eval-check: $(BIN)
	./tests/eval/check.sh ./$(BIN)

test: deps
	./tests/layers.sh
	$(MAKE) unit
	$(MAKE) eval-check
	$(MAKE) e2e

bench: deps
	@$(MAKE) deps EXTRA_DEB="$(DEB_BENCH)"
	$(MAKE) all
	./tests/bench/run.sh

# The widget in a real browser (tests/e2e): installs chromium and node from
# Debian if missing (npm too, unless node already brings it), then the exact
# npm packages of package-lock.json, then node's test runner. Screenshots go
# to tests/artefacts/.
e2e:
	@$(MAKE) deps EXTRA_DEB="$(DEB_E2E)"
	@command -v npm >/dev/null || $(MAKE) deps EXTRA_DEB=npm
	$(MAKE) all
	cd tests/e2e && npm ci --no-audit --no-fund
	cd tests/e2e && MADOGUCHI=$(abspath $(BIN)) node --test --test-concurrency=1 widget.test.mjs admin.test.mjs ops.test.mjs figures.test.mjs

# The HTTP benchmark alone (make bench runs it too once tests/bench/run.sh calls it).
bench-http:
	@$(MAKE) deps EXTRA_DEB="$(DEB_BENCH)"
	$(MAKE) all
	./tests/bench/http.sh ./$(BIN)

fuzz:
	@$(MAKE) deps EXTRA_DEB="$(DEB_FUZZ)"
	./tests/fuzz/run.sh

clean:
	rm -rf build madoguchi

distclean: clean
	rm -f madoguchi.db madoguchi.db-wal madoguchi.db-shm
