// Giving the pages of a long-lived Buffer back to the system while keeping the Buffer (src/util/memory-pages.ts;
// why: docs/hot-path.md, "Part buffers after idle"). Node-API addon, built by scripts/build-native.js next to
// crc64.c. One call, discardPages(buffer): madvise(MADV_DONTNEED) on the whole 4 KiB pages inside the Buffer (bytes
// in a page the Buffer shares with other memory are never touched). On Linux those pages go back at once (RSS drops)
// and read as zeros when next touched; the Buffer stays valid, so V8 sees no new allocation and runs no collection
// when it is used again. Returns true when the advice was taken (or there was no whole page), false where this
// system would keep the pages (then the caller drops the Buffer instead). Never reads or writes the Buffer's bytes.
#define _DEFAULT_SOURCE
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static int discard(void *start, size_t length) {
#ifdef __linux__
  return madvise(start, length, MADV_DONTNEED);
#else
  // elsewhere MADV_DONTNEED may keep the pages: report "not taken" so the caller drops the buffer instead
  (void)start, (void)length;
  return -1;
#endif
}

static napi_value discard_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  bool is_buffer = false;
  if (napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, NULL, "a Buffer is required");
    return NULL;
  }
  void *data;
  size_t length;
  if (napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) return NULL;
  const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  const uintptr_t first = ((uintptr_t)data + page - 1) & ~(page - 1);
  const uintptr_t end = ((uintptr_t)data + length) & ~(page - 1);
  const bool taken = end <= first || discard((void *)first, end - first) == 0;
  napi_value result;
  if (napi_get_boolean(env, taken, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "discardPages", NAPI_AUTO_LENGTH, discard_pages, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "discardPages", fn) != napi_ok)
    return NULL;
  return exports;
}
