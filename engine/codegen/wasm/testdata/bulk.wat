(module $bulk
  (type (;0;) (func (param i32 i32 i32)))
  (func $copy (type 0) (param i32 i32 i32)
    local.get 0
    local.get 1
    local.get 2
    memory.copy)
  (func $fill (type 0) (param i32 i32 i32)
    local.get 0
    local.get 1
    local.get 2
    memory.fill)
  (memory (;0;) 1 1)
  (export "memory" (memory 0))
  (export "copy" (func $copy))
  (export "fill" (func $fill)))
