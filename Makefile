# fpipe: small Unix filters for moving bytes safely and fast.
GO      ?= go
PREFIX  ?= /usr/local
DESTDIR ?=
TOOLS   := $(filter-out internal,$(notdir $(wildcard cmd/*)))
GOFILES := $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go')

.PHONY: all build test check demo bench reliability install clean

all: build

## build: every tool into ./bin
build:
	$(GO) build -trimpath -o bin/ ./cmd/...

## test: the full suite (unit, end-to-end, memory), then the benchmarks in smoke mode
test:
	$(GO) test -count=1 -timeout 20m ./...
	bash tests/bench/run.sh --smoke

## check: formatting, vet, and the race detector over the quick tests
check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -short -count=1 ./...

## demo: back up a built-in ~100 MB sample dump through the tools and verify it
demo: build
	bash tests/demo.sh

## bench: each tool against the tool a user would pick instead, same input, same run
bench: build
	bash tests/bench/run.sh

## reliability: the full fault, signal and bad-input matrix, printed as a table
reliability:
	$(GO) test -count=1 -timeout 20m ./tests -run 'TestReliability' -v -args -reliability.full

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(addprefix bin/,$(TOOLS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf bin sample tests/bench/out
