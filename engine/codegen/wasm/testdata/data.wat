(module $data
  (type (;0;) (func (param i32) (result i32)))
  (func $load8s (type 0) (param i32) (result i32)
    local.get 0
    i32.load8_s)
  (memory (;0;) 1 2)
  (export "memory" (memory 0))
  (export "load8s" (func $load8s))
  (data (;0;) (i32.const 0) "mcusim")
  (data (;1;) (i32.const 1000) "\80\7f\ff")
  (data (;2;) (i32.const 65532) "\01\02\03\04"))
