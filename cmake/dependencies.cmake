# Every external dependency is found here, and only here.
find_package(Threads REQUIRED)
find_package(TBB REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(libdeflate REQUIRED IMPORTED_TARGET libdeflate)
pkg_check_modules(libzip REQUIRED IMPORTED_TARGET libzip)  # its CMake config needs the zip tools
pkg_check_modules(cairo REQUIRED IMPORTED_TARGET cairo)  # figures: text, PNG, SVG, PDF
# animations: animated WebP (libwebpmux has WebPAnimEncoder) and GIF (giflib has no .pc)
pkg_check_modules(libwebp REQUIRED IMPORTED_TARGET libwebp)
pkg_check_modules(libwebpmux REQUIRED IMPORTED_TARGET libwebpmux)
find_package(GIF 5 REQUIRED)
pkg_check_modules(libpng REQUIRED IMPORTED_TARGET libpng)  # fast PNG encoding of figures
pkg_check_modules(libisal REQUIRED IMPORTED_TARGET libisal)  # ISA-L igzip: the PNG bands' deflate
find_package(TIFF REQUIRED)
find_package(ZLIB REQUIRED)
find_package(pugixml REQUIRED)
find_package(GDCM REQUIRED)
find_package(meshoptimizer REQUIRED)  # mesh decimation

if(VOX_BUILD_APPS)
  find_package(CLI11 REQUIRED)
endif()
if(VOX_BUILD_TESTS)
  find_package(GTest REQUIRED)
  # The peers come from Debian's packages (python3-numpy, python3-skimage), so the tests use
  # Debian's interpreter rather than whichever python3 is first on PATH.
  set(VOX_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with the peer packages")
endif()
if(VOX_BUILD_BENCH AND NOT VOX_SANITIZE)
  find_package(benchmark REQUIRED)
endif()
