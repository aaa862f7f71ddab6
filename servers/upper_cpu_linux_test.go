package servers

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU is the CPU time the calling thread has used.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkUpperCPU is BenchmarkUpper timed by the CPU time of the thread
// that runs it (cpu-MB/s) as well as by the clock: on a machine shared with
// other work the clock counts the time the thread waited for a CPU, and
// the thread's CPU time does not, so cpu-MB/s is the transform's own speed.
func BenchmarkUpperCPU(b *testing.B) {
	in := benchmarkInput()
	buf := make([]byte, len(in))
	for _, impl := range []struct {
		name string
		f    func([]byte)
	}{
		{"UpperASCII", UpperASCII},
		{"swar", upperSWAR},
		{"copyonly", func([]byte) {}},
	} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.SetBytes(int64(len(in)))
			start := threadCPU()
			n := 0
			for b.Loop() {
				copy(buf, in)
				impl.f(buf)
				n++
			}
			if cpu := threadCPU() - start; cpu > 0 {
				b.ReportMetric(float64(n)*float64(len(in))/cpu.Seconds()/1e6, "cpu-MB/s")
			}
		})
	}
}
