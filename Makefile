# Vigil — see README.md. `make run` and `make test` set up what they need.
SHELL := /bin/bash
GO ?= go
export GOTOOLCHAIN ?= local

CMDS      := vigil-edge vigil-validator vigil-cloud
ARM64_CC  := aarch64-linux-gnu-gcc
QEMU      := qemu-aarch64-static
BENCH_RE  := ^(BenchmarkDiff|BenchmarkReadCeiling|BenchmarkReadLoads|BenchmarkLumaJPEG|BenchmarkStdJPEG)$$
BENCH_OUT := benchmarks/results/amd64-latest.txt
FUZZTIME  ?= 15s

.PHONY: run build cross test test-unit test-arm64 test-purego fuzz vet bench bench-arm64 fmt lint tools tools-arm64 clean

## run: the edge on its embedded defaults (synthetic scene), per-second motion figures, web UI on http://localhost:8080
run:
	$(GO) run ./cmd/vigil-edge

## build: the three commands for this machine into bin/
build:
	$(GO) build -o bin/ ./cmd/vigil-edge
	CGO_ENABLED=0 $(GO) build -o bin/ ./cmd/vigil-validator ./cmd/vigil-cloud

## cross: linux/arm64 binaries into dist/ (installs the cross compiler if missing)
cross:
	scripts/ensure-apt.sh $(ARM64_CC) gcc-aarch64-linux-gnu
	GOOS=linux GOARCH=arm64 CGO_ENABLED=1 CC=$(ARM64_CC) $(GO) build -o dist/vigil-edge-linux-arm64 ./cmd/vigil-edge
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o dist/vigil-validator-linux-arm64 ./cmd/vigil-validator
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o dist/vigil-cloud-linux-arm64 ./cmd/vigil-cloud
	@file dist/*-linux-arm64 2>/dev/null || ls -l dist/

## test: everything CI runs: format, vet (amd64, arm64, purego), unit tests, arm64 under qemu, purego, fuzz
test: lint test-unit test-arm64 test-purego fuzz cross bench-arm64 test-e2e

test-unit: tools
	$(GO) test -count=1 ./...

## tools: the servers the tests start, installed when missing: versitygw (S3) into $(go env GOPATH)/bin
tools:
	GO=$(GO) scripts/versitygw.sh install
	scripts/chromium.sh >/dev/null
	scripts/dynalite.sh install
	GO=$(GO) scripts/lambda-rie.sh install

## dev: the whole stack on loopback (versitygw, dynalite, validator, cloud with a demo account, the edge on the PETS
## clip or SOURCE=file:PATH|synthetic); prints the URLs and generated credentials, writes data/dev/stack.json; Ctrl-C stops it
SOURCE ?=
.PHONY: dev test-e2e images
dev:
	GO=$(GO) scripts/versitygw.sh install
	scripts/dynalite.sh install
	$(GO) build -o bin/vigil-devstack ./scripts/devstack
	SOURCE='$(SOURCE)' bin/vigil-devstack -data data/dev

## test-e2e: the end-to-end tests on the whole stack (happy path in Chromium, offline, crash, load, hostile device)
test-e2e: tools
	$(GO) test -count=1 -tags e2e -timeout 20m -v -run '^TestE2E' ./scripts/devstack/...

## images: both container images (validator and cloud) with podman
images: validator-image cloud-image

## validator-image: the validator's container image with podman (FROM scratch: static binary + CA certificates;
## also an AWS Lambda container image, see README)
.PHONY: validator-image
validator-image:
	scripts/ensure-apt.sh podman podman update-ca-certificates ca-certificates
	@rm -rf dist/validator-image && mkdir -p dist/validator-image
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o dist/validator-image/vigil-validator ./cmd/vigil-validator
	cp /etc/ssl/certs/ca-certificates.crt dist/validator-image/
	podman build -f deploy/validator/Containerfile -t vigil-validator:latest dist/validator-image

tools-arm64:
	scripts/ensure-apt.sh $(QEMU) qemu-user-static $(ARM64_CC) gcc-aarch64-linux-gnu

## test-arm64: the arm64 build (NEON kernels) under qemu-user
test-arm64: tools-arm64 tools
	GOARCH=arm64 $(GO) test -count=1 -exec $(QEMU) -skip '^TestCrashRecovery$$' ./vision/... ./domain/... ./app/... ./adapters/... ./benchmarks/...
	GOARCH=arm64 $(GO) test -count=1 -tags purego -exec $(QEMU) ./vision/...

## test-purego: no assembly at all
test-purego: tools
	$(GO) test -count=1 -tags purego ./...

## fuzz: every kernel against the reference on fuzzer-made frames; the JPEG decoder on hostile input. (Under qemu-user the
## fuzzer cannot fork its workers without binfmt_misc, so arm64 runs the seeds and the
## randomised comparison tests in test-arm64 instead.)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDiff$$' -fuzztime $(FUZZTIME) ./vision/
	$(GO) test -run '^$$' -fuzz '^FuzzKernelDiff$$' -fuzztime $(FUZZTIME) ./vision/
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME) ./vision/
	$(GO) test -run '^$$' -fuzz '^FuzzLumaJPEG$$' -fuzztime $(FUZZTIME) ./vision/
	$(GO) test -run '^$$' -fuzz '^FuzzInspect$$' -fuzztime $(FUZZTIME) ./app/validator/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./adapters/s3event/

vet:
	$(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...
	$(GO) vet -tags purego ./...

## bench: kernel benchmarks, 5 rounds, table of medians and ratios (raw output in $(BENCH_OUT)). Each round runs
## every benchmark once (-count 1), so a kernel and its ceiling are measured seconds apart, not minutes: the
## machine is shared and its speed drifts.
bench:
	@mkdir -p benchmarks/results
	@go_test() { $(GO) test -run '^$$' -bench '$(BENCH_RE)' -count 1 -benchtime 300ms ./vision/; }; \
	 for round in 1 2 3 4 5; do go_test || exit 1; done | tee $(BENCH_OUT)
	@echo
	@$(GO) run ./benchmarks/cmd/vigil-bench -parse $(BENCH_OUT)

## bench-arm64: one static binary to copy to a Pi: dist/vigil-bench-linux-arm64
bench-arm64:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o dist/vigil-bench-linux-arm64 ./benchmarks/cmd/vigil-bench
	@ls -l dist/vigil-bench-linux-arm64

fmt:
	gofmt -w $$(git ls-files '*.go')

## lint: gofmt check and go vet for every target
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## cloud-image: vigil-cloud in a FROM-scratch image (static binary + CA certificates), tagged vigil-cloud:latest
.PHONY: cloud-image screenshots-cloud
cloud-image:
	scripts/ensure-apt.sh podman podman update-ca-certificates ca-certificates
	rm -rf dist/cloud-image && mkdir -p dist/cloud-image
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o dist/cloud-image/vigil-cloud ./cmd/vigil-cloud
	cp /etc/ssl/certs/ca-certificates.crt dist/cloud-image/
	podman build -t vigil-cloud:latest -f deploy/cloud/Containerfile dist/cloud-image

## screenshots-cloud: PNGs of vigil-cloud's pages (Chromium, real S3 and DynamoDB) into $(SHOTS)/cloud
screenshots-cloud: tools
	@mkdir -p $(SHOTS)/cloud
	VIGIL_SCREENSHOTS=$(abspath $(SHOTS))/cloud $(GO) test -count=1 -run '^TestGalleryInChromium$$' ./adapters/fiber/cloudweb/
	@ls $(SHOTS)/cloud/*.png

## screenshots: PNGs of every edge UI page at desktop and phone width into $(SHOTS), and of the cloud's pages
## into $(SHOTS)/cloud (headless Chromium, real binaries and servers)
SHOTS ?= data/screenshots
.PHONY: screenshots
screenshots: screenshots-cloud
	scripts/chromium.sh >/dev/null
	@mkdir -p $(SHOTS)
	set -o pipefail; VIGIL_SHOTS=$(abspath $(SHOTS)) $(GO) test -count=1 -run '^TestScreenshots$$' -v ./cmd/vigil-edge/ | grep -E '^(---|ok|FAIL|\s+screenshots_test)'
	@ls $(SHOTS)/*.png

clean:
	rm -rf bin dist
