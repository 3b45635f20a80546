// Package deps holds no code. Its test states zheng's import policy — data
// flows one way, transport → service → store, and each layer knows only the
// one below — and fails when a change breaks it.
package deps
