# upcheck: conformance and fuzz harness for TCP and UDP uppercase servers.
# Every target works on a fresh machine with Go: tools come from go.mod.

GO      ?= go
GINKGO  ?= $(GO) tool ginkgo
REPORTS ?= reports
# Extra arguments for the suites, for example GINKGO_FLAGS=--label-filter=TCP-EOF
GINKGO_FLAGS ?=

.PHONY: all build serve test vet fmt conformance matrix stress fuzz fuzz-ci bench soak dist clean

all: build

## build: compile every package and the binaries into bin/
build:
	$(GO) build ./...
	$(GO) build -o bin/ ./cmd/upperd ./cmd/upperc ./cmd/upperload \
		./cmd/replay ./lab/cmd/mutantd

## serve: run the reference servers on the seed's address, 127.0.0.1:8080
serve:
	$(GO) run ./cmd/upperd

## conformance: run the suites against the reference (or the target in the
## UPCHECK_* settings), print the report and keep it under reports/
conformance:
	@mkdir -p $(REPORTS)
	@status=0; UPCHECK_REPORT=$${UPCHECK_REPORT:-$(REPORTS)/conformance.json} \
		$(GINKGO) $(GINKGO_FLAGS) ./suites || status=$$?; \
	report=$${UPCHECK_REPORT:-$(REPORTS)/conformance.json}; \
	if [ -f "$${report%.json}.md" ]; then echo; echo "Report: $$report, $${report%.json}.md and $${report%.json}.html"; fi; \
	exit $$status

## matrix: the suites against every implementation in matrix.json, side by
## side: reports/matrix.md and reports/matrix.html (one self-contained page)
matrix: build
	$(GO) run ./lab/cmd/matrix -config matrix.json -out $(REPORTS)

## stress: the suite 20 times in a row against the reference and the Python
## example, with and without -race, the unit tests 20 times, and every
## package's tests 20 times as CI runs them (-race, without -short); zero
## failures is the bar (STRESS_RUNS sets the count; phases as arguments:
## make stress STRESS_PHASES="reference python")
STRESS_PHASES ?=
stress:
	GO="$(GO)" lab/stress/stress.sh $(STRESS_PHASES)

## test: vet, then every test with the race detector (the suites, and the
## suites against every mutant, the reference and the Python example), then
## the mutation table those tests wrote
test: vet
	@rm -f reports/mutation.md
	@status=0; $(GO) test -race -count=1 ./... || status=$$?; \
	if [ -f reports/mutation.md ]; then echo; cat reports/mutation.md; fi; \
	exit $$status

vet:
	$(GO) vet ./...

## fmt: format every Go file
fmt:
	gofmt -w $$(git ls-files '*.go')

# Fuzz campaigns (cmd/campaign): the native fuzz targets, then the rapid
# properties, within 5 minutes in all (-budget). Against the reference in
# process each native target fuzzes for 20s, coverage-guided, and the
# properties share the rest; against an external target (UPCHECK_SERVER_CMD,
# UPCHECK_TCP, UPCHECK_UDP), where coverage measures only the harness, the
# native targets run their seed corpora once and the properties, which draw
# whole scripts, get the rest, shared by time. FUZZTIME (a duration, seeds,
# or 0) and RAPID_CHECKS (a count) override the split; RAPID_SEED repeats
# one run. The UPCHECK_* settings choose the target.
FUZZTIME     ?=
RAPID_CHECKS ?=

## fuzz: a fuzz campaign of at most 5 minutes (FUZZTIME per fuzz target,
## RAPID_CHECKS per property when set; by default, as above)
fuzz:
	FUZZTIME=$(FUZZTIME) RAPID_CHECKS=$(RAPID_CHECKS) $(GO) run ./cmd/campaign

## fuzz-ci: a short campaign for CI, within 2 minutes, its seed printed
fuzz-ci:
	FUZZTIME=5s RAPID_CHECKS=30 $(GO) run ./cmd/campaign -budget 2m -shrinktime 30s

## bench: the reference servers against plain Go baselines (and the Python
## example when python3 is there): one table of ratios; raw results and
## benchstat's statistics under reports/bench (about 12 minutes; COUNT,
## LOAD_RUNS, LOAD_DURATION, BENCHTIME tune it)
bench:
	GO="$(GO)" sh lab/perf/bench.sh $(REPORTS)/bench

## soak: hold 9,000 idle connections to the reference for 4 minutes and
## check every one still answers (needs ulimit -n of about 18,200)
soak:
	$(GO) run ./cmd/upperload -mode idle-hold -conns 9000 -duration 4m

## dist: upcheck as static binaries (CGO_ENABLED=0) for every platform of
## DIST_PLATFORMS in $(DIST)/, upcheck-OS-ARCH, with their SHA256SUMS
DIST           ?= dist
DIST_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
dist:
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; echo "$(DIST)/upcheck-$$os-$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags=-s \
			-o $(DIST)/upcheck-$$os-$$arch ./cmd/upcheck || exit 1; \
	done
	@cd $(DIST) && if command -v sha256sum >/dev/null; then sha256sum upcheck-*; \
		else shasum -a 256 upcheck-*; fi > SHA256SUMS
	@echo "$(DIST)/SHA256SUMS"

clean:
	rm -rf bin dist $(REPORTS)
