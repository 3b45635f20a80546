//go:build unix

package kernel

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time used by the process so far: on a shared
// machine, benchmarks divide by it as well as by wall time, since other
// tenants' load stretches wall time but not the CPU time we are given.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
