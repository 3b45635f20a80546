package kernel

// Plain-Go reference twins: straightforward loops, float64 accumulation.
// Tests hold every fast path to these.

// refConv2D computes a Conv2D with an HWIO filter [KH,KW,C,M].
func refConv2D(dst, src, filter []float32, s ConvShape, e *Epilogue) {
	for n := 0; n < s.N; n++ {
		for oy := 0; oy < s.OutH; oy++ {
			for ox := 0; ox < s.OutW; ox++ {
				out := dst[((n*s.OutH+oy)*s.OutW+ox)*s.M:][:s.M]
				for m := 0; m < s.M; m++ {
					var acc float64
					for kh := 0; kh < s.KH; kh++ {
						iy := oy*s.StrideH + kh*s.DilationH - s.PadTop
						if iy < 0 || iy >= s.H {
							continue
						}
						for kw := 0; kw < s.KW; kw++ {
							ix := ox*s.StrideW + kw*s.DilationW - s.PadLeft
							if ix < 0 || ix >= s.W {
								continue
							}
							for c := 0; c < s.C; c++ {
								acc += float64(src[((n*s.H+iy)*s.W+ix)*s.C+c]) *
									float64(filter[((kh*s.KW+kw)*s.C+c)*s.M+m])
							}
						}
					}
					out[m] = e.one(float32(acc), m)
				}
			}
		}
	}
}

// refDepthwise computes a depthwise convolution with filter [KH,KW,C,M];
// output channel c*M+m reads input channel c.
func refDepthwise(dst, src, filter []float32, s ConvShape, e *Epilogue) {
	oc := s.C * s.M
	for n := 0; n < s.N; n++ {
		for oy := 0; oy < s.OutH; oy++ {
			for ox := 0; ox < s.OutW; ox++ {
				for c := 0; c < s.C; c++ {
					for m := 0; m < s.M; m++ {
						var acc float64
						for kh := 0; kh < s.KH; kh++ {
							iy := oy*s.StrideH + kh*s.DilationH - s.PadTop
							if iy < 0 || iy >= s.H {
								continue
							}
							for kw := 0; kw < s.KW; kw++ {
								ix := ox*s.StrideW + kw*s.DilationW - s.PadLeft
								if ix < 0 || ix >= s.W {
									continue
								}
								acc += float64(src[((n*s.H+iy)*s.W+ix)*s.C+c]) *
									float64(filter[((kh*s.KW+kw)*s.C+c)*s.M+m])
							}
						}
						dst[((n*s.OutH+oy)*s.OutW+ox)*oc+c*s.M+m] = e.one(float32(acc), c*s.M+m)
					}
				}
			}
		}
	}
}

// refConvTranspose computes Conv2DBackpropInput: the forward convolution
// maps [N,OutH,OutW,M] to [N,H,W,C] with filter [KH,KW,M,C]; this is its
// gradient with respect to the input, scattered back.
func refConvTranspose(dst, src, filter []float32, s ConvShape, e *Epilogue) {
	acc := make([]float64, s.N*s.OutH*s.OutW*s.M)
	for n := 0; n < s.N; n++ {
		for iy := 0; iy < s.H; iy++ {
			for ix := 0; ix < s.W; ix++ {
				for kh := 0; kh < s.KH; kh++ {
					oy := iy*s.StrideH + kh*s.DilationH - s.PadTop
					if oy < 0 || oy >= s.OutH {
						continue
					}
					for kw := 0; kw < s.KW; kw++ {
						ox := ix*s.StrideW + kw*s.DilationW - s.PadLeft
						if ox < 0 || ox >= s.OutW {
							continue
						}
						for m := 0; m < s.M; m++ {
							for c := 0; c < s.C; c++ {
								acc[((n*s.OutH+oy)*s.OutW+ox)*s.M+m] +=
									float64(src[((n*s.H+iy)*s.W+ix)*s.C+c]) *
										float64(filter[((kh*s.KW+kw)*s.M+m)*s.C+c])
							}
						}
					}
				}
			}
		}
	}
	for i, v := range acc {
		dst[i] = e.one(float32(v), i%s.M)
	}
}

// refMatMul computes dst[m×n] = op(a)·op(b).
func refMatMul(dst, a, b []float32, m, n, k int, transA, transB bool) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc float64
			for p := 0; p < k; p++ {
				av := a[i*k+p]
				if transA {
					av = a[p*m+i]
				}
				bv := b[p*n+j]
				if transB {
					bv = b[j*k+p]
				}
				acc += float64(av) * float64(bv)
			}
			dst[i*n+j] = float32(acc)
		}
	}
}
