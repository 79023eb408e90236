/* Intentionally empty: the worker link_whole()s this stub; the real library comes from the system via the *_dep. */
int convene_stub_libuv;
