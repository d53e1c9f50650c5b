(module $arena
  (memory (;0;) 1 1)
  (export "memory" (memory 0))
  (data (;0;) (i32.const 16) "hello"))
