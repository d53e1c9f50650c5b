package isa

// Hooks and WithHooks expose the pricing hooks to the isa_test package.
type Hooks = hooks

// WithHooks returns a copy of t that calls h.
func (t *Table) WithHooks(h Hooks) *Table { return t.withHooks(h) }
