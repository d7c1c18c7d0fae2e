# binding.gyp — fallback build with node-gyp when CMake is missing: CPU backend only.
# Sources come from scripts/sources.js (the same folders CMakeLists.txt globs).
{
  "targets": [{
    "target_name": "tensordiff",
    "sources": ["<!@(node scripts/sources.js)"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions"],
    "ldflags": ["-fopenmp"],
    "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"] }
  }]
}
