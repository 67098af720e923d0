# libFuzzer harnesses: `make fuzz` at the top, or
#   make -f fuzz/fuzz.mk SRCDIR=. BUILDDIR=.
# Plain GNU make, kept out of Makefile.am so that automake never sees
# clang-only flags.  Every library source (util/, probes/, report/) is compiled
# again with clang, coverage instrumentation and ASan+UBSan; each harness
# links against those objects and the pkg-config libraries.
# Needs clang and libclang-rt-14-dev (Debian 12).
SRCDIR   ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BUILDDIR ?= $(SRCDIR)
FUZZ_CC  ?= clang
PKGS      = libpq libcares openssl jansson libarchive libcurl libxml-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lm
FUZZ_CFLAGS ?= -g -O1 -fno-omit-frame-pointer
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=undefined
CFLAGS_ALL = $(FUZZ_CFLAGS) $(SAN) -Wall -Wextra -Wno-unused-parameter \
	-D_GNU_SOURCE -I$(SRCDIR) -I$(BUILDDIR) $(PKG_CFLAGS)
OUT       = $(BUILDDIR)/fuzz
OBJ       = $(OUT)/obj
HARNESSES = fuzz_target fuzz_range fuzz_endpoint fuzz_evidence fuzz_pgmsg fuzz_report \
	fuzz_secrets fuzz_ec2xml fuzz_serve_config
# serve/config.c for fuzz_serve_config.
LIB_SRCS ?= $(wildcard $(SRCDIR)/util/*.c $(SRCDIR)/probes/*.c $(SRCDIR)/report/*.c \
	$(SRCDIR)/input/*.c $(SRCDIR)/input/aws/*.c) $(SRCDIR)/tests/support/load.c \
	$(SRCDIR)/serve/config.c
LIB_OBJS  = $(patsubst $(SRCDIR)/%.c,$(OBJ)/%.o,$(LIB_SRCS))

all: $(addprefix $(OUT)/,$(HARNESSES))

$(OBJ)/%.o: $(SRCDIR)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_ALL) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(OUT)/fuzz_%: $(SRCDIR)/fuzz/fuzz_%.c $(SRCDIR)/fuzz/common.h $(LIB_OBJS)
	@mkdir -p $(OUT)
	$(FUZZ_CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(LIB_OBJS) $(PKG_LIBS)

clean:
	rm -rf $(OBJ) $(addprefix $(OUT)/,$(HARNESSES))

.PHONY: all clean
-include $(LIB_OBJS:.o=.d)
