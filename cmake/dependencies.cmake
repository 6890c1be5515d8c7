# Every external dependency is found here, and only here.
find_package(Threads REQUIRED)
find_package(TBB REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)

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
