/* A task agent that writes garbage into the channel, then exits: random
 * bytes, a valid length with random bytes, an oversized length, a message
 * without "op" or outcome, an unknown operation, a truncated message.
 * Expect: protocol_error, whatever the seed. (raw.h is prepended.) */
char *task_agent_improve(const char *initial)
{
	static unsigned char junk[8192];
	unsigned int mode = host_rand() % 6, len = 1 + host_rand() % 4096, i;
	static const char *const frames[] = {
		"{\"nothing\": 1}", "{\"op\": \"frobnicate\"}", "{\"op\": 7}",
		"{\"op\": \"eval\"}", "[1, 2, 3]", "{\"op\": \"read\", \"name\": 5}",
	};
	(void)initial;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)host_rand();
	if (mode == 1 || mode == 2) {  /* a header the body does not match */
		unsigned int size = mode == 1 ? len : 0x7fffffffu;
		junk[0] = (unsigned char)(size >> 24);
		junk[1] = (unsigned char)(size >> 16);
		junk[2] = (unsigned char)(size >> 8);
		junk[3] = (unsigned char)size;
		len = mode == 1 ? len + 4 : 64;
	} else if (mode >= 3) {  /* well-framed JSON the protocol rejects */
		const char *f = frames[host_rand() % 6];
		unsigned int n = (unsigned int)strlen(f);
		if (mode == 5)
			n += 10;  /* announce more than is sent */
		junk[0] = 0; junk[1] = 0; junk[2] = (unsigned char)(n >> 8); junk[3] = (unsigned char)n;
		memcpy(junk + 4, f, strlen(f));
		len = 4 + (unsigned int)strlen(f);
	}
	raw_syscall(1 /* write */, 3, (long)junk, len);
	raw_syscall(231 /* exit_group */, 0, 0, 0);
	return 0;
}
