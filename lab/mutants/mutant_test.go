package mutants

import (
	"bytes"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// requirementIDs are the MUST requirements of the contract; TCP-EMPTYWRITE
// is INFO and has nothing to break.
var requirementIDs = []string{
	"TCP-ROUNDTRIP", "TCP-BYTES", "TCP-STREAM", "TCP-EOF", "TCP-RESET",
	"TCP-DISCONNECT", "TCP-CONCURRENT", "TCP-ISOLATION", "TCP-CHURN",
	"UDP-ROUNDTRIP", "UDP-BYTES", "UDP-EMPTY", "UDP-SIZE", "UDP-SOURCE",
	"UDP-ONCE", "UDP-CONCURRENT", "UDP-SURVIVE",
}

func TestCatalogue(t *testing.T) {
	names := map[string]bool{}
	primary := map[string]bool{}
	for _, m := range All() {
		if names[m.Name] {
			t.Errorf("duplicate mutant name %s", m.Name)
		}
		names[m.Name] = true
		if got, ok := ByName(m.Name); !ok || got.Name != m.Name || got == m {
			t.Errorf("ByName(%q) = %v, %v; want a new instance", m.Name, got, ok)
		}
		if m.Bug == "" || strings.ContainsAny(m.Bug, "\n\t") || strings.HasSuffix(m.Bug, ".") {
			t.Errorf("%s: Bug %q is not one plain sentence", m.Name, m.Bug)
		}
		if m.Hostile() {
			// A hostile server says what it tests of the harness instead.
			if m.Purpose == "" || strings.ContainsAny(m.Purpose, "\n\t") || strings.HasSuffix(m.Purpose, ".") {
				t.Errorf("%s: hostile, with Purpose %q; want one plain sentence", m.Name, m.Purpose)
			}
			if len(m.Protocols()) != 1 {
				t.Errorf("%s is faulty on %v; want one protocol", m.Name, m.Protocols())
			}
			continue
		}
		if m.Purpose != "" {
			t.Errorf("%s breaks %v and has a Purpose, %q, as hostile servers do", m.Name, m.Breaks, m.Purpose)
		}
		primary[m.Breaks[0]] = true
		for _, id := range m.Breaks {
			if !slices.Contains(requirementIDs, id) {
				t.Errorf("%s breaks unknown requirement %q", m.Name, id)
			}
		}
		// The faulty protocol must be the one its requirements name.
		proto := strings.ToLower(strings.SplitN(m.Breaks[0], "-", 2)[0])
		if ps := m.Protocols(); len(ps) != 1 || ps[0] != proto {
			t.Errorf("%s is faulty on %v but breaks %s", m.Name, ps, m.Breaks[0])
		}
	}
	for _, id := range requirementIDs {
		if !primary[id] {
			t.Errorf("no mutant is written to break %s", id)
		}
	}
	if _, ok := ByName("NoSuchMutant"); ok {
		t.Error("ByName found NoSuchMutant")
	}
}

// TestEveryMutantStartsAndCloses starts every mutant twice: the protocol it
// does not break is served by the reference and answers correctly, Close
// stops everything with no goroutine left, and the mutant can start again.
func TestEveryMutantStartsAndCloses(t *testing.T) {
	for _, m := range All() {
		t.Run(m.Name, func(t *testing.T) {
			for round := range 2 {
				tcpAddr, udpAddr, err := m.Start()
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if tcpAddr == "" || udpAddr == "" {
					t.Fatalf("round %d: addresses %q, %q; want both", round, tcpAddr, udpAddr)
				}
				if _, _, err := m.Start(); err == nil {
					t.Fatal("second Start while running succeeded")
				}
				if m.Protocols()[0] == "udp" {
					c := dialTCP(t, tcpAddr)
					if got := roundTrip(t, c, []byte("client33333")); string(got) != "CLIENT33333" {
						t.Fatalf("reference TCP alongside: got %q", got)
					}
					c.Close()
				} else {
					c := dialUDP(t, udpAddr)
					if got := udpRoundTrip(t, c, []byte("client1111")); string(got) != "CLIENT1111" {
						t.Fatalf("reference UDP alongside: got %q", got)
					}
					c.Close()
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
				select {
				case <-m.Done():
				default:
					t.Fatal("Done not closed after Close")
				}
				if err := m.Err(); err != nil {
					t.Fatalf("Err after Close = %v; want nil", err)
				}
				if err := m.Close(); err != nil {
					t.Fatalf("second Close: %v", err)
				}
				goleak.VerifyNone(t)
			}
		})
	}
}

func TestStartOn(t *testing.T) {
	m := UDPTwice()
	if _, _, err := m.StartOn("", ""); err == nil {
		t.Fatal("StartOn with no address succeeded")
	}
	tcpAddr, udpAddr, err := m.StartOn("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	if tcpAddr == "" || udpAddr != "" {
		t.Fatalf("got %q, %q; want TCP only", tcpAddr, udpAddr)
	}
	_, _, err = UnicodeUpper().StartOn(tcpAddr, "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "UnicodeUpper") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("StartOn a busy TCP port: err = %v", err)
	}
	// A busy UDP port fails StartOn after TCP was bound: the TCP listener
	// is closed again and nothing is served (goleak in TestMain).
	busy := listenUDP(t)
	if _, _, err := UnicodeUpper().StartOn("127.0.0.1:0", busy.LocalAddr().String()); err == nil {
		t.Fatal("StartOn a busy UDP port succeeded")
	}
	m.Close()
	ln, err := net.Listen("tcp", tcpAddr)
	if err != nil {
		t.Fatalf("port not released after Close: %v", err)
	}
	ln.Close()
}

// TestCloseReleasesHeldConnections checks that a connection the mutant's
// code never closes is closed by Close.
func TestCloseReleasesHeldConnections(t *testing.T) {
	m := NoCloseOnEOF()
	tcpAddr, _ := start(t, m)
	c := dialTCP(t, tcpAddr)
	writeTCP(t, c, []byte("held"))
	c.CloseWrite()
	if got := readN(t, c, 4); !bytes.Equal(got, []byte("HELD")) {
		t.Fatalf("got %q", got)
	}
	m.Close()
	if _, err := readToEnd(t, c); err != nil && !isReset(err) {
		t.Fatalf("after Close: %v; want the connection ended", err)
	}
}

// TestDocIndexesEveryServer keeps the package doc's index in step with the
// registry.
func TestDocIndexesEveryServer(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range All() {
		if n := strings.Count(string(doc), "["+m.Name+"]"); n != 1 {
			t.Errorf("doc.go links [%s] %d times; want once", m.Name, n)
		}
	}
}
