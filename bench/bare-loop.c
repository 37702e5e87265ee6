/*
 * bare-loop.c - the floor for reading a capture: libpcap's own read loop,
 * counting packets and bytes and nothing else (bench/README.md).
 *
 * Usage: bare-loop FILE...   prints "FILE: N packets, M bytes" per file.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

struct counts {
	uint64_t packets;
	uint64_t bytes;
};

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct counts *c = (struct counts *)user;
	(void)data;
	c->packets++;
	c->bytes += h->caplen;
}

static int read_file(const char *path)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "bare-loop: %s: %s\n", path, err);
		return 2;
	}
	struct counts c = { 0, 0 };
	int rc;
	/* -1: as many packets as one buffer of the file holds per call */
	while ((rc = pcap_dispatch(p, -1, count, (u_char *)&c)) > 0)
		;
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "bare-loop: %s: %s\n", path, pcap_geterr(p));
		pcap_close(p);
		return 2;
	}
	pcap_close(p);
	printf("%s: %llu packets, %llu bytes\n", path,
	       (unsigned long long)c.packets, (unsigned long long)c.bytes);
	return 0;
}

int main(int argc, char **argv)
{
	int status = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: bare-loop FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (read_file(argv[i]))
			status = 2;
	return status;
}
