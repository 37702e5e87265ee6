/*
 * dir.h - which way bytes go on a TCP connection: the one type every layer,
 * from the session table up, uses for a direction or a side.
 *
 * A direction is also the side that sends in it: STI_C2S is the client,
 * STI_S2C the server. The two are 0 and 1 so that a direction indexes the
 * per-direction arrays (`x[STI_S2C]`); STI_DIR_NONE is "no side" (who ended
 * a session that has not ended, ...), never an index.
 */
#ifndef STI_DIR_H
#define STI_DIR_H

#include <stdbool.h>

enum sti_dir {
	STI_DIR_NONE = -1,  /* unknown, or nobody */
	STI_C2S = 0,        /* client to server; the client */
	STI_S2C = 1         /* server to client; the server */
};

/* STI_C2S or STI_S2C: a value that may index a per-direction array. */
static inline bool sti_dir_valid(enum sti_dir d)
{
	return d == STI_C2S || d == STI_S2C;
}

/* The direction back, for a side's peer. STI_DIR_NONE has none. */
static inline enum sti_dir sti_dir_other(enum sti_dir d)
{
	return d == STI_C2S ? STI_S2C : d == STI_S2C ? STI_C2S : STI_DIR_NONE;
}

#endif /* STI_DIR_H */
