// Package suites runs upcheck's conformance suite, the specs of
// suites/spec, as a Go test: go test ./suites and go tool ginkgo ./suites
// run exactly the specs that upcheck check runs, with the same settings
// (after "--": -server-cmd, -tcp, ...) and the same labels and filters.
//
//	go tool ginkgo ./suites
//	go tool ginkgo --label-filter=TCP-EOF ./suites
//	go tool ginkgo ./suites -- -server-cmd 'python3 server.py {tcp} {udp}'
package suites
