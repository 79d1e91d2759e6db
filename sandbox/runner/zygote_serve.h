/*
 * zygote_serve.h - the zygote's side, in host-sandbox: serving the host's
 * requests for children (zygote.h has the host's side and the protocol).
 */
#ifndef SANDBOX_ZYGOTE_SERVE_H
#define SANDBOX_ZYGOTE_SERVE_H

/* Compiles the unit `key` names (a zygote_unit as JSON) and keeps it
 * for the children forked afterwards; failures are left to them. */
typedef void (*zygote_prepare_fn)(const char *key);

/*
 * Serves fork and prepare requests arriving on `control_fd` until the host
 * closes it. Returns 0 in each new child, whose channel is then on
 * `control_fd`'s number (CHANNEL_FD); returns -1 in the zygote when it
 * should exit.
 */
int zygote_serve(int control_fd, zygote_prepare_fn prepare);

#endif
