//go:build !amd64 || kernel_pure_go

package kernel

// preluRow sets row[i] = alpha[i]*row[i] where row[i] is negative; alpha
// is at least as long as row.
func preluRow(row, alpha []float32) { preluRowGo(row, alpha) }

// sigmoidRow sets row[i] = sigmoid(row[i]).
func sigmoidRow(row []float32) {
	for i, v := range row {
		row[i] = sigmoidf(v)
	}
}

// tanhRow sets row[i] = tanh(row[i]).
func tanhRow(row []float32) {
	for i, v := range row {
		row[i] = tanhf(v)
	}
}
