# edgeroute_harden(<target>): the project's warning, sanitizer and language-feature flags.
# Applied to every library, test and tool target the project builds.
function(edgeroute_harden target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wconversion -Wshadow)
  if(EDGEROUTE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(EDGEROUTE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(EDGEROUTE_TSAN)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
endfunction()

# edgeroute_no_exceptions(<target>): the core contract -- library code builds without
# exceptions or RTTI. Test and tool targets keep them (GoogleTest needs them).
function(edgeroute_no_exceptions target)
  if(EDGEROUTE_NO_EXCEPTIONS)
    target_compile_options(${target} PRIVATE -fno-exceptions -fno-rtti)
  endif()
endfunction()
