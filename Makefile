# Guichet — developer and CI entry points. `make test` is what CI runs.

SHELL := /bin/bash

# Debian packages needed to build, run and test the app (see shared/TOOLCHAIN.md).
DEB_PACKAGES := libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev \
	librsvg2-dev libssl-dev libxdo-dev libclang-dev pkg-config build-essential \
	xvfb xauth webkit2gtk-driver imagemagick postgresql zbar-tools poppler-utils \
	python3-jsonschema python3-yaml python3-cryptography python3-zxing-cpp xdotool x11-xkb-utils xkb-data \
	chromium nodejs \
	openbox x11-utils libfaketime haproxy \
	debootstrap bubblewrap lintian

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

CARGO ?= cargo
# Where `make test` keeps cargo test's output to total it.
TEST_LOG := $(or $(CARGO_TARGET_DIR),target)/test-output.log

ifdef CI
export CARGO_TERM_COLOR := never
# A one-off build gains nothing from incremental caches, which double the disk used.
export CARGO_INCREMENTAL := 0
endif

.PHONY: all setup build run test bench screenshots package package-test

all: build

# Installs the missing Debian packages; silent when all are present.
setup:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${db:Status-Status}\n' "$$p" 2>/dev/null | grep -qx installed || echo "$$p"; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "setup: installing" $$missing; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# The WebDriver proxy for the window tests, from crates.io (about a minute, once).
	@command -v tauri-driver >/dev/null || [ -x "$$HOME/.cargo/bin/tauri-driver" ] || \
		$(CARGO) install tauri-driver --locked --version ^2
	@# The Debian packager (`make package`, tests/tests/package.rs), from crates.io (about a
	@# minute and a half on 2 cores, once).
	@command -v cargo-deb >/dev/null || [ -x "$$HOME/.cargo/bin/cargo-deb" ] || \
		$(CARGO) install cargo-deb --locked --version ^3
	@# npm comes with NodeSource's nodejs; Debian's own nodejs needs Debian's npm package
	@# (installing that one beside NodeSource's nodejs breaks apt, so only when npm is missing).
	@command -v npm >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
	@# axe-core and puppeteer-core for the accessibility check (tests/tests/a11y.rs), from npm
	@# at the versions of tests/a11y/package-lock.json (a few seconds, once).
	@[ -d tests/a11y/node_modules/axe-core ] || npm ci --prefix tests/a11y --no-audit --no-fund

build:
	$(CARGO) build --workspace --bins

# A fresh demo on every run: the demo platform (its own data directory, a random loopback
# port), an enrolled kiosk with its own data directory, then the window.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
DEMO_DIR := $(TARGET_DIR)/demo
# The demo kiosk's admin PIN, chosen at its enrollment (demo only; a real one is chosen by the admin).
DEMO_ADMIN_PIN := 246810

run: setup build
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@$(TARGET_DIR)/debug/guichet-platform --data-dir $(DEMO_DIR)/platform demo > $(DEMO_DIR)/platform.log 2>&1 & \
	platform=$$!; trap 'kill $$platform 2>/dev/null' EXIT; \
	for i in $$(seq 150); do grep -q "listening on" $(DEMO_DIR)/platform.log && break; sleep 0.2; done; \
	url=$$(sed -n 's/^guichet-platform listening on \([^ ]*\).*/\1/p' $(DEMO_DIR)/platform.log); \
	code=$$(sed -n 's/^enroll code: //p' $(DEMO_DIR)/platform.log); \
	fingerprint=$$(sed -n 's/^root fingerprint: //p' $(DEMO_DIR)/platform.log); \
	if [ -z "$$url" ]; then cat $(DEMO_DIR)/platform.log; echo "run: the demo platform did not start"; exit 1; fi; \
	mkdir -p $(DEMO_DIR)/camera && cp fixtures/scan/no-code/* $(DEMO_DIR)/camera/ && \
	cp $(DEMO_DIR)/platform/print/booklet-000001-serial-1.png $(DEMO_DIR)/camera/; \
	export GUICHET_DATA_DIR=$(DEMO_DIR)/kiosk GUICHET_REPLAY_DIR=$(DEMO_DIR)/camera; \
	echo "$(DEMO_ADMIN_PIN)" > $(DEMO_DIR)/admin-pin && \
	$(TARGET_DIR)/debug/guichet enroll --platform "$$url" --code "$$code" --fingerprint "$$fingerprint" --label demo --admin-pin-file $(DEMO_DIR)/admin-pin && \
	$(TARGET_DIR)/debug/guichet sync && \
	echo "run: demo platform at $$url; printable booklets: $(DEMO_DIR)/platform/demo-booklets.pdf" && \
	echo "run: the demo kiosk's admin PIN (F10, and F8 as admin) is $(DEMO_ADMIN_PIN)" && \
	echo "run: try  GUICHET_DATA_DIR=$$GUICHET_DATA_DIR $(TARGET_DIR)/debug/guichet redeem --area 1.1 --service 1.1.01 --mediator Zoé $$(head -1 $(DEMO_DIR)/platform/demo-codes.txt)" && \
	if [ -z "$$DISPLAY" ]; then \
		echo "run: DISPLAY is empty, starting guichet under xvfb-run -a (invisible virtual display)"; \
		xvfb-run -a $(TARGET_DIR)/debug/guichet; \
	else \
		$(TARGET_DIR)/debug/guichet; \
	fi

test: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) run -q -p guichet-testdata -- --check
	schema/check_json_schemas.py
	schema/test-vectors/voucher_code_check.py
	schema/test-vectors/entry_signature_vectors.py --check
	schema/test-vectors/statement_vectors_check.py
	$(CARGO) build --workspace --bins
	tests/clean-root/run.sh
	@# The fuzz crates live outside the workspace; they must keep compiling (stable is enough).
	for fuzz in crates/*/fuzz/Cargo.toml; do \
		$(CARGO) check --locked --bins --manifest-path $$fuzz --target-dir $(TARGET_DIR)/fuzz || exit 1; \
	done
	set -o pipefail; $(CARGO) test --workspace 2>&1 | tee $(TEST_LOG)
	@awk '/^test result:/ { passed += $$4; failed += $$6 } \
		END { print "total: " passed " passed, " failed " failed" }' $(TEST_LOG)

# Pictures of every screen in French and English, for the README (docs/screenshots/).
screenshots: setup
	$(CARGO) build -p guichet
	GUICHET_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(CARGO) test -p guichet-e2e --test kiosk_window -- --nocapture
	GUICHET_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(CARGO) test -p guichet-e2e --test counter_keyboard -- --nocapture
	GUICHET_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(CARGO) test -p guichet-platform --test console_browser -- --nocapture

# The kiosk's Debian package (release build): target/debian/guichet_VERSION-1_amd64.deb, and
# the platform's: target/debian/guichet-platform_VERSION-1_amd64.deb (crates/guichet-platform,
# [package.metadata.deb]: the binary, its systemd unit, platform.toml, the service's account).
# The binary, its desktop entry and icon, /etc/guichet/kiosk.toml (a conffile), the docs;
# dependencies found by dpkg-shlibdeps (src-tauri/Cargo.toml, [package.metadata.deb]).
package: setup
	$(CARGO) deb -p guichet
	$(CARGO) deb -p guichet-platform

# The package installed with apt into a clean Debian 12 root (debootstrap, bubblewrap), then
# enrolled against a demo platform on loopback, synced, `guichet doctor` and the window under
# Xvfb there; lintian on the .deb (tests/clean-root/run.sh says each step). Part of `make test`:
# once the base root and apt's downloads are cached in target/package-test/, 40 s on a quiet
# machine, 1 min 44 s at a load of 4 and 2 min 40 s at a load of 7 on 2 cores (after the build);
# about 2.5 minutes more the first time (downloads, debootstrap's second stage).
package-test: setup
	tests/clean-root/run.sh

bench:
	$(CARGO) bench -p guichet-core
	$(CARGO) bench -p guichet-ledger --bench ledger
