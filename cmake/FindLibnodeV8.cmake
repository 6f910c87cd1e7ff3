# Finds V8 10.2 as shipped in Debian's libnode108 / libnode-dev (Node 18).
#
# Looks first in the project-local prefix that tools/setup.sh unpacks the .debs into
# (third_party/libnode), then in the system. It checks the V8 major version, because Node 20's
# own headers (V8 11.3) also live in /usr/include/node on machines with NodeSource's nodejs,
# and mixing them with libnode.so.108 crashes at V8::Initialize.
#
# Defines the imported target V8::libnode.
set(_tfjs_v8_prefix "${CMAKE_SOURCE_DIR}/third_party/libnode/usr")
set(LIBNODE_V8_ROOT "" CACHE PATH "Prefix holding include/node/v8.h and lib/*/libnode.so.108")

set(_candidates)
if(LIBNODE_V8_ROOT)
  list(APPEND _candidates "${LIBNODE_V8_ROOT}")
endif()
list(APPEND _candidates "${_tfjs_v8_prefix}" "/usr")

foreach(_root IN LISTS _candidates)
  set(_hdr "${_root}/include/node/v8-version.h")
  if(NOT EXISTS "${_hdr}")
    continue()
  endif()
  file(STRINGS "${_hdr}" _major REGEX "#define V8_MAJOR_VERSION")
  string(REGEX MATCH "V8_MAJOR_VERSION +([0-9]+)" _ "${_major}")
  set(_major "${CMAKE_MATCH_1}")
  if(NOT _major STREQUAL "10")
    continue()
  endif()
  file(GLOB _libs "${_root}/lib/*/libnode.so.108" "${_root}/lib/libnode.so.108")
  if(_libs)
    list(GET _libs 0 LIBNODE_V8_LIBRARY)
    set(LIBNODE_V8_INCLUDE_DIR "${_root}/include/node")
    break()
  endif()
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibnodeV8
  REQUIRED_VARS LIBNODE_V8_LIBRARY LIBNODE_V8_INCLUDE_DIR
  FAIL_MESSAGE "V8 10.2 (Debian libnode108 + libnode-dev) not found - run tools/setup.sh")

if(LibnodeV8_FOUND AND NOT TARGET V8::libnode)
  add_library(V8::libnode SHARED IMPORTED)
  set_target_properties(V8::libnode PROPERTIES
    IMPORTED_LOCATION "${LIBNODE_V8_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LIBNODE_V8_INCLUDE_DIR}"
    # libnode is built without pointer compression and without the sandbox: define neither.
    INTERFACE_COMPILE_DEFINITIONS "V8_DEPRECATION_WARNINGS=0")
  get_filename_component(_libdir "${LIBNODE_V8_LIBRARY}" DIRECTORY)
  set(LIBNODE_V8_LIBRARY_DIR "${_libdir}")
  message(STATUS "V8 (libnode108): ${LIBNODE_V8_LIBRARY}")
endif()
