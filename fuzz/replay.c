/*
 * replay.c - a main() for a fuzz target without libFuzzer: every file
 * named, or every file in every directory named, goes once through
 * LLVMFuzzerTestOneInput. make check runs it over fuzz/corpus/ so that
 * each build (the sanitizer one in CI above all) replays the corpus and
 * the regression files. Messages go to stdout: the pipeline target sends
 * stderr to /dev/null.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("%s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, cap);
			if (!nb)
				abort();
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stdout, "%s: read error\n", path);
		free(buf);
		return -1;
	}
	/* An exact-size copy, so that a read past the input is caught. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact)
		abort();
	if (len)
		memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 1;
}

static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		printf("%s: %s\n", dir, strerror(errno));
		return -1;
	}
	int count = 0;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int n = replay_file(path);
		if (n < 0) {
			count = -1;
			break;
		}
		count += n;
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stdout, "usage: %s FILE-OR-DIR...\n", argv[0]);
		return 2;
	}
	long total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)
			? replay_dir(argv[i]) : replay_file(argv[i]);
		if (n < 0)
			return 2;
		total += n;
	}
	printf("%s: %ld inputs replayed\n", argv[0], total);
	return 0;
}
