//go:build !unix

package cert_test

import "time"

// cpuTime is unknown here; benchmarks then report wall-clock time only.
func cpuTime() time.Duration { return 0 }
