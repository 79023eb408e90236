/*
 * udp_io: caller-facing RTP sockets for the gateway's media worker threads, without libuv.
 *
 * Why: at 100 mixed calls the media thread's largest cost was Node's per-datagram dgram path
 * (a JS send wrapper, a request object and a completion callback per send; an epoll wake-up, a
 * Buffer and a JS callback per receive). Audio legs only need their packets once per 20 ms tick,
 * so this module lets the worker drain every readable socket at the start of a tick in one call
 * (epoll_wait(0) over the worker's sockets, recvmmsg per readable socket, the kernel's arrival
 * timestamp per datagram) and send synchronously with send()/sendto() on non-blocking sockets.
 *
 * Sockets are plain fds owned by the calling thread's environment: registered in that
 * environment's epoll set and closed by its cleanup hook, so a worker thread that ends (or is
 * terminated) leaves no bound port behind.
 *
 * Errors: functions that set up a socket throw an Error with `code` = the errno name; per-packet
 * functions return -errno (EAGAIN = the socket buffer is full: the caller counts a drop).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>

#define MAX_SOCKETS 65536
#define BATCH 16
#define MAX_EVENTS 256
/* Per message in the drain's meta array (Int32): id, offset, length, port, family, addr[4], age_us. */
#define META_WORDS 10

typedef struct {
  int epfd;
  /* fd of each open socket (for cleanup); -1 = free slot. */
  int *fds;
  int nfds;
  int capfds;
  /* Events found readable by the last epoll_wait that a drain did not finish (its buffer filled up). */
  struct epoll_event pending[MAX_EVENTS];
  int npending;
  int pendingPos;
  /* ICMP "port unreachable" for what we sent, found by drains (the kernel reports it on the next
   * syscall on the socket, which is usually the drain's read, not a send). */
  double refused;
} io_env;

static napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_value msg, code, error;
  char text[160];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  const char *name = "EIO";
  switch (err) {
    case EADDRINUSE: name = "EADDRINUSE"; break;
    case EADDRNOTAVAIL: name = "EADDRNOTAVAIL"; break;
    case EACCES: name = "EACCES"; break;
    case EINVAL: name = "EINVAL"; break;
    case EMFILE: name = "EMFILE"; break;
    case ENFILE: name = "ENFILE"; break;
    case EBADF: name = "EBADF"; break;
    case EAFNOSUPPORT: name = "EAFNOSUPPORT"; break;
    default: break;
  }
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *text) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", text);
  return NULL;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static io_env *get_io(napi_env env) {
  io_env *io = NULL;
  napi_get_instance_data(env, (void **)&io);
  return io;
}

static int arg_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* A JS string IP + port → sockaddr. Returns the length, 0 if the address does not parse. */
static socklen_t arg_addr(napi_env env, napi_value ipv, napi_value portv, struct sockaddr_storage *ss) {
  char ip[64];
  size_t len = 0;
  int32_t port;
  if (napi_get_value_string_utf8(env, ipv, ip, sizeof ip, &len) != napi_ok || len == 0 || len >= sizeof ip - 1) return 0;
  if (!arg_int(env, portv, &port) || port < 0 || port > 65535) return 0;
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    return sizeof *v4;
  }
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return sizeof *v6;
  }
  return 0;
}

static int arg_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  size_t length, offset;
  napi_value ab;
  void *ptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = ptr;
  *len = length;
  return 1;
}

static void track_fd(io_env *io, int fd) {
  for (int i = 0; i < io->nfds; i++) {
    if (io->fds[i] == -1) {
      io->fds[i] = fd;
      return;
    }
  }
  if (io->nfds == io->capfds) {
    int cap = io->capfds ? io->capfds * 2 : 64;
    int *grown = realloc(io->fds, sizeof(int) * (size_t)cap);
    if (!grown) return; /* untracked: closed by close() only */
    io->fds = grown;
    io->capfds = cap;
  }
  io->fds[io->nfds++] = fd;
}

static int untrack_fd(io_env *io, int fd) {
  for (int i = 0; i < io->nfds; i++) {
    if (io->fds[i] == fd) {
      io->fds[i] = -1;
      return 1;
    }
  }
  return 0;
}

/* open(ip, port, id) → { fd, port }: a non-blocking UDP socket bound to ip:port (0 = any free port),
 * with kernel receive timestamps, registered for drain() under `id` (0 ≤ id < 65536). */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  io_env *io = get_io(env);
  int32_t id;
  struct sockaddr_storage ss;
  if (argc < 3 || !arg_int(env, argv[2], &id) || id < 0 || id >= MAX_SOCKETS) return throw_type(env, "open(ip, port, id): id must be an integer 0..65535");
  socklen_t slen = arg_addr(env, argv[0], argv[1], &ss);
  if (!slen) return throw_type(env, "open(ip, port, id): ip must be an IPv4/IPv6 literal and port 0..65535");
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, slen) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  struct epoll_event ev = { .events = EPOLLIN, .data = { .u64 = ((uint64_t)(uint32_t)id << 32) | (uint32_t)fd } };
  if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "epoll_ctl", err);
  }
  track_fd(io, fd);
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &blen);
  int port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "fd", make_int(env, fd));
  napi_set_named_property(env, out, "port", make_int(env, port));
  return out;
}

/* close(fd): unregisters and closes; a no-op for an fd this environment does not own. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  io_env *io = get_io(env);
  int32_t fd;
  if (argc < 1 || !arg_int(env, argv[0], &fd)) return throw_type(env, "close(fd)");
  if (!untrack_fd(io, fd)) return NULL;
  epoll_ctl(io->epfd, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  /* A pending event of this fd must not be read after the number is reused. */
  for (int i = io->pendingPos; i < io->npending; i++) {
    if ((int)(uint32_t)io->pending[i].data.u64 == fd) io->pending[i].data.u64 = UINT64_MAX;
  }
  return NULL;
}

/* connect(fd, ip, port) → 0 | -errno: the kernel then sends there by default and delivers only that peer's datagrams. */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  struct sockaddr_storage ss;
  if (argc < 3 || !arg_int(env, argv[0], &fd)) return throw_type(env, "connect(fd, ip, port)");
  socklen_t slen = arg_addr(env, argv[1], argv[2], &ss);
  if (!slen) return make_int(env, -EINVAL);
  return make_int(env, connect(fd, (struct sockaddr *)&ss, slen) == 0 ? 0 : -errno);
}

/* disconnect(fd) → 0 | -errno: back to sending anywhere and receiving from anyone. */
static napi_value js_disconnect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || !arg_int(env, argv[0], &fd)) return throw_type(env, "disconnect(fd)");
  struct sockaddr_storage local;
  socklen_t llen = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &llen) != 0) return make_int(env, -errno);
  struct sockaddr sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_family = AF_UNSPEC;
  /* Linux: AF_UNSPEC dissolves the association (may report EAFNOSUPPORT on some kernels even when it worked). */
  if (connect(fd, &sa, sizeof sa) != 0 && errno != EAFNOSUPPORT) return make_int(env, -errno);
  /* A socket bound to port 0 (the kernel chose its port) loses that port on disconnect (the kernel
   * only keeps ports that were asked for by number): bind it to the same one again. */
  struct sockaddr_storage after;
  socklen_t alen = sizeof after;
  if (getsockname(fd, (struct sockaddr *)&after, &alen) == 0) {
    in_port_t port = after.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&after)->sin6_port : ((struct sockaddr_in *)&after)->sin_port;
    if (port == 0 && bind(fd, (struct sockaddr *)&local, llen) != 0) return make_int(env, -errno);
  }
  return make_int(env, 0);
}

/* send(fd, bytes) → bytes sent | -errno: on a connected socket.
 * sendTo(fd, bytes, ip, port) → the same, to ip:port (one function: the arguments say which). */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  uint8_t *data;
  size_t len;
  if (argc < 2 || !arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &data, &len)) return throw_type(env, "send(fd, Uint8Array[, ip, port])");
  ssize_t n;
  if (argc >= 4) {
    struct sockaddr_storage ss;
    socklen_t slen = arg_addr(env, argv[2], argv[3], &ss);
    if (!slen) return make_int(env, -EINVAL);
    n = sendto(fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&ss, slen);
  } else {
    n = send(fd, data, len, MSG_DONTWAIT);
  }
  return make_int(env, n >= 0 ? n : -errno);
}

static int64_t now_realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Reads what one readable socket holds into out[*used..], meta[*count..]. Returns 0 when the socket
 * is empty, 1 when out or meta filled up first (the socket may hold more). */
static int drain_one(io_env *io, int fd, uint32_t id, uint8_t *out, size_t cap, size_t *used, int32_t *meta, uint32_t maxMsgs, uint32_t *count, int64_t now_ns) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage addrs[BATCH];
  char ctrl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
  for (;;) {
    /* Each message gets up to 2048 bytes (RTP from a phone is < 1,500); stop when that no longer fits. */
    uint32_t room = (uint32_t)((cap - *used) / 2048);
    uint32_t slots = maxMsgs - *count;
    uint32_t n = room < slots ? room : slots;
    if (n > BATCH) n = BATCH;
    if (n == 0) return 1;
    for (uint32_t i = 0; i < n; i++) {
      iov[i].iov_base = out + *used + (size_t)i * 2048;
      iov[i].iov_len = 2048;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &addrs[i];
      msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
      msgs[i].msg_hdr.msg_control = ctrl[i];
      msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
    }
    int got = recvmmsg(fd, msgs, n, MSG_DONTWAIT, NULL);
    if (got < 0) {
      if (errno == ECONNREFUSED) io->refused++; /* a datagram we sent was refused: counted, read on */
      if (errno == EINTR || errno == ECONNREFUSED) continue;
      return 0;                                               /* EAGAIN: empty (or an error we skip) */
    }
    /* Compact: message i was read at slot i; pack them so the next ones follow the last byte used. */
    for (int i = 0; i < got; i++) {
      struct msghdr *h = &msgs[i].msg_hdr;
      int truncated = (h->msg_flags & MSG_TRUNC) != 0;
      /* Oversized: none of it is kept; reported with length -1 (an empty datagram is length 0). */
      uint32_t len = truncated ? 0 : msgs[i].msg_len;
      uint8_t *src = iov[i].iov_base;
      uint8_t *dst = out + *used;
      if (src != dst && len) memmove(dst, src, len);
      int32_t *m = meta + (size_t)(*count) * META_WORDS;
      m[0] = (int32_t)id;
      m[1] = (int32_t)*used;
      m[2] = truncated ? -1 : (int32_t)len;
      int64_t age_us = 0;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
          age_us = (now_ns - ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec)) / 1000;
        }
      }
      if (age_us < 0) age_us = 0;
      if (age_us > 2000000000LL) age_us = 2000000000LL;
      if (addrs[i].ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addrs[i];
        m[3] = ntohs(a->sin6_port);
        m[4] = 6;
        memcpy(&m[5], &a->sin6_addr, 16);
      } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&addrs[i];
        m[3] = ntohs(a->sin_port);
        m[4] = 4;
        memcpy(&m[5], &a->sin_addr, 4);
        m[6] = m[7] = m[8] = 0;
      }
      m[9] = (int32_t)age_us;
      *used += len;
      (*count)++;
    }
    if ((uint32_t)got < n) return 0; /* fewer than asked: the socket is empty now */
  }
}

/* drain(out: Uint8Array, meta: Int32Array) → messages read: every datagram waiting on this
 * environment's sockets, packed into `out`, described in `meta` (META_WORDS per message:
 * id, offset in out, length (-1 = over 2 KiB, dropped), source port, family 4|6, source address bytes (4 or
 * 16, network order, in 4 words), age in µs since the kernel received it). When `out` or `meta`
 * fills up first, the rest stays queued for the next call (call again with a fresh `out`). */
static napi_value js_drain(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  io_env *io = get_io(env);
  uint8_t *out;
  size_t cap;
  napi_typedarray_type type;
  size_t metaLen, offset;
  napi_value ab;
  void *metaPtr;
  if (argc < 2 || !arg_bytes(env, argv[0], &out, &cap)) return throw_type(env, "drain(out: Uint8Array, meta: Int32Array)");
  if (napi_get_typedarray_info(env, argv[1], &type, &metaLen, &metaPtr, &ab, &offset) != napi_ok || type != napi_int32_array) return throw_type(env, "drain(out: Uint8Array, meta: Int32Array)");
  int32_t *meta = metaPtr;
  uint32_t maxMsgs = (uint32_t)(metaLen / META_WORDS);
  size_t used = 0;
  uint32_t count = 0;
  int64_t now_ns = now_realtime_ns();
  for (int rounds = 0; rounds < 64; rounds++) {
    if (io->pendingPos >= io->npending) {
      int n = epoll_wait(io->epfd, io->pending, MAX_EVENTS, 0);
      if (n <= 0) break;
      io->npending = n;
      io->pendingPos = 0;
    }
    while (io->pendingPos < io->npending) {
      uint64_t data = io->pending[io->pendingPos].data.u64;
      if (data != UINT64_MAX) {
        int full = drain_one(io, (int)(uint32_t)data, (uint32_t)(data >> 32), out, cap, &used, meta, maxMsgs, &count, now_ns);
        if (full) return make_int(env, count); /* this socket again next call */
      }
      io->pendingPos++;
    }
    /* Every socket epoll reported is empty now; ask again only if that batch was full. */
    if (io->npending < MAX_EVENTS) break;
  }
  return make_int(env, count);
}

/* ntop(meta: Int32Array, index) → the source address of message `index` of the last drain, as
 * inet_ntop writes it (what Node's dgram reports: "127.0.0.1", "::1", "::ffff:10.0.0.1"). */
static napi_value js_ntop(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type type;
  size_t metaLen, offset;
  napi_value ab;
  void *metaPtr;
  int32_t index;
  if (argc < 2 || napi_get_typedarray_info(env, argv[0], &type, &metaLen, &metaPtr, &ab, &offset) != napi_ok || type != napi_int32_array || !arg_int(env, argv[1], &index) || index < 0 || (size_t)(index + 1) * META_WORDS > metaLen)
    return throw_type(env, "ntop(meta: Int32Array, index)");
  int32_t *m = (int32_t *)metaPtr + (size_t)index * META_WORDS;
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(m[4] == 6 ? AF_INET6 : AF_INET, &m[5], text, sizeof text)) text[0] = 0;
  napi_value out;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out);
  return out;
}

/* refused() → how many sent datagrams drains found refused (ICMP port unreachable) in this environment. */
static napi_value js_refused(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_double(env, get_io(env)->refused, &out);
  return out;
}

static void cleanup(void *arg) {
  io_env *io = arg;
  for (int i = 0; i < io->nfds; i++) {
    if (io->fds[i] >= 0) close(io->fds[i]);
  }
  if (io->epfd >= 0) close(io->epfd);
  free(io->fds);
  free(io);
}

static void finalize_io(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  (void)hint;
  /* The cleanup hook frees it: instance data finalizers run before env cleanup hooks in some
   * Node versions, after in others; the hook owns the memory so the order does not matter. */
}

NAPI_MODULE_INIT() {
  io_env *io = calloc(1, sizeof *io);
  if (!io) return NULL;
  io->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (io->epfd < 0) {
    free(io);
    return throw_errno(env, "epoll_create1", errno);
  }
  napi_set_instance_data(env, io, finalize_io, NULL);
  napi_add_env_cleanup_hook(env, cleanup, io);
  napi_property_descriptor props[] = {
    { "open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "connect", NULL, js_connect, NULL, NULL, NULL, napi_enumerable, NULL },
    { "disconnect", NULL, js_disconnect, NULL, NULL, NULL, napi_enumerable, NULL },
    { "send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL },
    { "sendTo", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL },
    { "drain", NULL, js_drain, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ntop", NULL, js_ntop, NULL, NULL, NULL, napi_enumerable, NULL },
    { "refused", NULL, js_refused, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value metaWords;
  napi_create_int32(env, META_WORDS, &metaWords);
  napi_set_named_property(env, exports, "META_WORDS", metaWords);
  return exports;
}
