# upcheck: conformance and fuzz harness for TCP and UDP uppercase servers.
# Every target works on a fresh machine with Go: tools come from go.mod.

GO      ?= go
GINKGO  ?= $(GO) tool ginkgo
REPORTS ?= reports
# Extra arguments for the suites, for example GINKGO_FLAGS=--label-filter=TCP-EOF
GINKGO_FLAGS ?=

.PHONY: all build serve test vet fmt conformance clean

all: build

## build: compile every package and the binaries into bin/
build:
	$(GO) build ./...
	$(GO) build -o bin/ ./servers/cmd/upperd ./clients/cmd/upperc

## serve: run the reference servers on the seed's address, 127.0.0.1:8080
serve:
	$(GO) run ./servers/cmd/upperd

## conformance: run the suites against the reference (or the target in the
## UPCHECK_* settings), print the report and keep it under reports/
conformance:
	@mkdir -p $(REPORTS)
	@status=0; UPCHECK_REPORT=$${UPCHECK_REPORT:-$(REPORTS)/conformance.json} \
		$(GINKGO) $(GINKGO_FLAGS) ./suites || status=$$?; \
	report=$${UPCHECK_REPORT:-$(REPORTS)/conformance.json}; \
	if [ -f "$${report%.json}.md" ]; then echo; echo "Report: $$report and $${report%.json}.md"; fi; \
	exit $$status

## test: vet, then every test with the race detector (the suites included)
test: vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

## fmt: format every Go file
fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin $(REPORTS)
