# NLHF_SANITIZE=ON builds everything with AddressSanitizer and UndefinedBehaviorSanitizer.
option(NLHF_SANITIZE "Build with ASan + UBSan" OFF)
if(NLHF_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
