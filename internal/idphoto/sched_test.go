package idphoto

import "runtime"

func runtimeGosched() { runtime.Gosched() }
