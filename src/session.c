/*
 * session.c - the connection table: lookup, orientation, life and death.
 *
 * Sessions live in a chained hash table keyed by the unordered 5-tuple and
 * in one of two queues ordered by last activity: open sessions (for idle
 * expiry and eviction) and closed ones, which linger briefly to absorb the
 * last ACKs and retransmissions instead of turning them into new sessions.
 * The queues give exactly the order of a list that moves a session to its
 * end at every packet, without that move (see "queues" below).
 */
#include "sti/session.h"
#include "sti/session_sniff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Entry pages come from mmap where there is one: a page given back is
 * given back to the system, and needs no allocator slack to be aligned.
 * Under AddressSanitizer they come from malloc, whose memory LeakSanitizer
 * scans for the pointers the entries hold. */
#if defined(__SANITIZE_ADDRESS__)
#define ENTRY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENTRY_ASAN 1
#endif
#endif
#ifndef ENTRY_ASAN
#define ENTRY_ASAN 0
#endif
#if ENTRY_ASAN
#include <sanitizer/asan_interface.h>
#define ENTRY_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ENTRY_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ENTRY_POISON(p, n) ((void)(p), (void)(n))
#define ENTRY_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
#if !ENTRY_ASAN && !defined(__EMSCRIPTEN__) && (defined(__unix__) || defined(__APPLE__))
#include <sys/mman.h>
#endif
#if !ENTRY_ASAN && defined(MAP_ANONYMOUS)
#define ENTRY_PAGES_MMAP 1
#else
#define ENTRY_PAGES_MMAP 0
#endif

#define INITIAL_BUCKETS 1024

/* An entry re-filed into a heap, and the key it was filed with. */
struct sti_heap_slot {
	uint64_t key;
	struct sti_session *s;
};

/* The open or the closed sessions, least recently touched first (see
 * "queues" below). */
struct sti_queue {
	struct sti_session *head, *tail;   /* filed in key order */
	uint64_t tail_key;                 /* no entry on the list was filed later */
	struct sti_heap_slot *heap;        /* re-filed: a binary min-heap by key */
	size_t heap_n, heap_cap;
	int64_t since;                     /* no entry was touched before this */
};

/*
 * Entries live in pages of 64-byte-aligned slots (see "entries" below):
 * a page's header, then its slots.
 */
#define ENTRY_PAGE_BYTES ((size_t)64 * 1024)
#define ENTRY_PAGE_HEAD 64
#define ENTRY_SLOT_BYTES 256
#define ENTRY_SLOTS ((ENTRY_PAGE_BYTES - ENTRY_PAGE_HEAD) / ENTRY_SLOT_BYTES)

/* What a free slot holds: the next free slot of its page. */
struct entry_free {
	struct entry_free *next;
};

/* A held page other than the spare is on the list of pages with room
 * exactly while it has one: while used < ENTRY_SLOTS. */
struct entry_page {
	struct entry_page *prev, *next;   /* on the list of pages with room */
	struct entry_free *free;          /* slots given back, last first */
	size_t used;                      /* slots handed out */
	size_t fresh;                     /* slots [fresh, ENTRY_SLOTS) never used */
};

_Static_assert(sizeof(struct entry_page) <= ENTRY_PAGE_HEAD,
	       "a page's header fits before its first slot");
_Static_assert(ENTRY_SLOTS > 1, "a page whose last slot comes back had room");
_Static_assert(ENTRY_PAGE_HEAD % 64 == 0 && ENTRY_SLOT_BYTES % 64 == 0,
	       "every slot starts a cache line");
_Static_assert(sizeof(struct sti_session) <= ENTRY_SLOT_BYTES,
	       "an entry fits its slot (it is the slot on LP64)");

struct entry_pages {
	struct entry_page *room;   /* pages with a free or fresh slot */
	struct entry_page *spare;  /* one empty page kept back, or NULL */
	size_t held;               /* pages held, the spare too */
};

struct sti_table {
	struct sti_session_cfg cfg;
	const struct sti_session_ops *ops;
	void *ctx;
	struct sti_session **buckets;
	size_t nbuckets;
	size_t count;
	struct sti_queue open, closed;
	uint64_t touches;              /* the last key handed out */
	uint64_t next_id;
	uint64_t seed;
	int64_t now;
	struct sti_table_stats st;
	struct entry_pages pages;
	sti_table_tap tap;
	sti_table_tap_gone tap_gone;
	void *tap_ctx;
};

void sti_session_cfg_defaults(struct sti_session_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	sti_portset_add(&cfg->smtp_ports, 25);
	sti_portset_add(&cfg->smtp_ports, 587);
	sti_portset_add(&cfg->tls_ports, 465);
	cfg->max_sessions = 100000;
	cfg->idle_timeout_us = 300 * INT64_C(1000000);
	cfg->linger_us = 30 * INT64_C(1000000);
	cfg->reasm_cap = STI_REASM_MIN_CAP;
}

const char *sti_orient_name(enum sti_orient o)
{
	switch (o) {
	case STI_ORIENT_SYN: return "syn";
	case STI_ORIENT_SYNACK: return "synack";
	case STI_ORIENT_PORT: return "port";
	case STI_ORIENT_GREETING: return "greeting";
	case STI_ORIENT_CLIENT_HELLO: return "client_hello";
	case STI_ORIENT_PORT_ORDER: return "port_order";
	}
	return "unknown";
}

const char *sti_end_name(enum sti_end e)
{
	switch (e) {
	case STI_END_NONE: return "open";
	case STI_END_FIN: return "fin";
	case STI_END_RST: return "rst";
	case STI_END_IDLE: return "idle";
	case STI_END_EVICTED: return "evicted";
	case STI_END_REUSED: return "reused";
	case STI_END_CAPTURE: return "capture_end";
	}
	return "unknown";
}

/* ---- queues ---- */

/*
 * Reports are written in release order, so the release order (idle
 * expiry, then the end of lingering) and the choice of whom to evict at
 * --max-sessions must be exactly those of a list kept in order of last
 * activity: an entry moved to the end at each of its packets, and to the
 * end of the closed list when it closes. That move touches the entry's
 * two neighbours, other lines of memory, at nearly every packet. Here a
 * packet to an open session moves nothing; it only takes a key and marks
 * its entry stale (a closed one is still moved: see touch_entry).
 *
 * Keys: each event that would have moved an entry to a list's end (its
 * creation, its close, a packet) gives it the next value of one table
 * counter; its key (s->touch without TOUCH_STALE) is that of its last
 * event. The list's order is the order of these keys, and since the
 * clock never goes back, touched_us never decreases along it either.
 * A packet to the entry that holds the newest key skips even that: its
 * place in the order cannot change (the `tail != s` test of the list).
 *
 * A queue files each entry under a key: at creation or close, the newest
 * key, appended to its list (which so stays in key order); when re-filed,
 * its own key at that moment, into a min-heap (or at the list's end, if
 * that is still in order). An entry's filed key never exceeds its key,
 * and is equal unless TOUCH_STALE is set. So a fresh (not stale) list
 * head has the least key of its list (every other entry's key is at
 * least its filed key, at least the head's), and a fresh heap top the
 * least of the heap; queue_oldest re-files stale heads and tops until
 * both are fresh, and the lesser of the two is the least recently
 * touched entry of the queue: the head of the old list, exactly.
 *
 * Cost: a re-file consumes a touch (it clears TOUCH_STALE), so the
 * re-filing is amortised O(log n) a packet, and a queue whose entries
 * are untouched (a SYN flood) is a plain list: eviction pops its head.
 * The heaps have room reserved for every session at its creation, so a
 * re-file never fails.
 *
 * The per-packet expiry test compares the clock with `since`, a lower
 * bound of touched_us in the queue (set exactly at each expiry pass,
 * lowered when an older entry is filed, left alone when an entry leaves
 * or is touched, as that only raises the true least): it can only fire
 * early, and then the pass finds nothing due and sets it exactly.
 */
#define TOUCH_STALE (UINT64_C(1) << 63)

static uint64_t key_of(const struct sti_session *s)
{
	return s->touch & ~TOUCH_STALE;
}

static bool is_stale(const struct sti_session *s)
{
	return s->touch & TOUCH_STALE;
}

static bool queue_empty(const struct sti_queue *q)
{
	return !q->head && !q->heap_n;
}

static void list_unlink(struct sti_queue *q, struct sti_session *s)
{
	if (s->lprev)
		s->lprev->lnext = s->lnext;
	else
		q->head = s->lnext;
	if (s->lnext)
		s->lnext->lprev = s->lprev;
	else
		q->tail = s->lprev;
	s->lprev = s->lnext = NULL;
}

/* Only for a key later than every key filed on the list. */
static void list_append(struct sti_queue *q, struct sti_session *s)
{
	s->lnext = NULL;
	s->lprev = q->tail;
	if (q->tail)
		q->tail->lnext = s;
	else
		q->head = s;
	q->tail = s;
	q->tail_key = key_of(s);
}

static void heap_put(struct sti_queue *q, size_t i, struct sti_heap_slot slot)
{
	q->heap[i] = slot;
	slot.s->heap_at = i;
}

static void heap_sift_up(struct sti_queue *q, size_t i)
{
	struct sti_heap_slot slot = q->heap[i];
	while (i > 0 && q->heap[(i - 1) / 2].key > slot.key) {
		heap_put(q, i, q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_put(q, i, slot);
}

static void heap_sift_down(struct sti_queue *q, size_t i)
{
	struct sti_heap_slot slot = q->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->heap_n)
			break;
		if (c + 1 < q->heap_n && q->heap[c + 1].key < q->heap[c].key)
			c++;
		if (q->heap[c].key >= slot.key)
			break;
		heap_put(q, i, q->heap[c]);
		i = c;
	}
	heap_put(q, i, slot);
}

static void heap_remove(struct sti_queue *q, struct sti_session *s)
{
	size_t i = s->heap_at;
	s->in_heap = false;
	s->lprev = s->lnext = NULL;
	if (i == --q->heap_n)
		return;
	struct sti_heap_slot last = q->heap[q->heap_n];
	heap_put(q, i, last);
	heap_sift_down(q, i);
	if (last.s->heap_at == i)   /* it did not go down: it may go up */
		heap_sift_up(q, i);
}

/* Room in both heaps for every session, the new one too: taken at its
 * creation, so that filing never fails. False without memory. */
static bool queue_reserve(struct sti_queue *q, size_t n)
{
	if (q->heap_cap >= n)
		return true;
	size_t cap = q->heap_cap ? q->heap_cap * 2 : 64;
	if (cap < n)
		cap = n;
	struct sti_heap_slot *h = realloc(q->heap, cap * sizeof(*h));
	if (!h)
		return false;
	q->heap = h;
	q->heap_cap = cap;
	return true;
}

/* File s (in neither queue) under the newest key: its creation or close. */
static void queue_file(struct sti_table *t, struct sti_queue *q, struct sti_session *s)
{
	if (queue_empty(q) || s->touched_us < q->since)
		q->since = s->touched_us;
	s->touch = ++t->touches;
	list_append(q, s);
}

/* File s again under its own key; s is in neither structure. */
static void queue_refile(struct sti_queue *q, struct sti_session *s)
{
	s->touch = key_of(s);
	if (s->touch > q->tail_key || !q->tail) {
		list_append(q, s);
		return;
	}
	s->in_heap = true;
	q->heap[q->heap_n] = (struct sti_heap_slot){ s->touch, s };
	heap_sift_up(q, q->heap_n++);
}

static void queue_remove(struct sti_queue *q, struct sti_session *s)
{
	if (s->in_heap)
		heap_remove(q, s);
	else
		list_unlink(q, s);
}

/* The least recently touched session of q (NULL if none), after
 * re-filing the stale entries that stood before it. */
static struct sti_session *queue_oldest(struct sti_queue *q)
{
	for (;;) {
		struct sti_session *l = q->head;
		if (l && is_stale(l)) {
			list_unlink(q, l);
			queue_refile(q, l);
			continue;
		}
		struct sti_session *h = q->heap_n ? q->heap[0].s : NULL;
		if (h && is_stale(h)) {
			heap_remove(q, h);
			queue_refile(q, h);
			continue;
		}
		if (!l || !h)
			return l ? l : h;
		return key_of(l) < q->heap[0].key ? l : h;
	}
}

/*
 * A packet for s: its place in its queue's order becomes the last. A
 * closed session is moved at once, to its list's end, under the newest
 * key: few packets come after a close (a last ACK, a retransmission), and
 * re-filing every closed session that had one (most) would cost more,
 * in cold entries, than the move. So the closed queue never has a stale
 * entry, nor a heap.
 */
static inline void touch_entry(struct sti_table *t, struct sti_session *s)
{
	s->touched_us = t->now;
	if (key_of(s) == t->touches)
		return;
	if (s->closed) {
		list_unlink(&t->closed, s);
		s->touch = ++t->touches;
		list_append(&t->closed, s);
	} else {
		s->touch = ++t->touches | TOUCH_STALE;
	}
}

/* Whether the queue may hold an entry idle for `timeout` at `now`. */
static inline bool queue_due(const struct sti_queue *q, int64_t now, int64_t timeout)
{
	return !queue_empty(q) && now - q->since >= timeout;
}

/* ---- hashing ---- */

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/* One multiply-xorshift step per key word; the seed goes in first, so
 * which tuples collide cannot be known from outside. */
static uint64_t hash_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 32);
}

/* The family and port go into the seed word, the address's two words
 * through a step each. */
static uint64_t hash_endpoint(uint64_t h, const struct sti_addr *a, uint16_t port)
{
	uint64_t w[2];
	memcpy(w, a->a, sizeof(w));
	h = hash_step(h ^ ((uint64_t)a->family << 16 | port), w[0]);
	return hash_step(h, w[1]);
}

/* One hash per packet, the same for both directions: the two endpoints'
 * seeded hashes are added (no comparison to order them), and one final
 * mix spreads the bits. */
static inline uint64_t tuple_hash(const struct sti_table *t, const struct sti_pkt *p)
{
	return mix64(hash_endpoint(t->seed, &p->src, p->sport) +
		     hash_endpoint(t->seed, &p->dst, p->dport));
}

/* Addresses are compared as two words, not by a call to memcmp: this runs
 * for every packet (an IPv4 address is zero after its four bytes). */
static bool addr_eq(const struct sti_addr *x, const struct sti_addr *y)
{
	uint64_t a[2], b[2];
	memcpy(a, x->a, sizeof(a));
	memcpy(b, y->a, sizeof(b));
	return x->family == y->family && ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

static bool endpoint_eq(const struct sti_endpoint *e, const struct sti_addr *a,
			uint16_t port)
{
	return e->port == port && addr_eq(&e->addr, a);
}

/* Whether the packet belongs to s, and which way it goes: the client
 * sends it (cli is its source) or the server does. */
static bool session_matches(const struct sti_session *s, const struct sti_pkt *p,
			    enum sti_dir *d)
{
	if (endpoint_eq(&s->cli, &p->src, p->sport) && endpoint_eq(&s->srv, &p->dst, p->dport)) {
		*d = STI_C2S;
		return true;
	}
	/* Here cli is not the source unless cli == srv, which the test
	 * above would have matched: the direction is the server's. */
	*d = STI_S2C;
	return endpoint_eq(&s->srv, &p->src, p->sport) && endpoint_eq(&s->cli, &p->dst, p->dport);
}

static struct sti_session *lookup(struct sti_table *t, const struct sti_pkt *p,
				  uint64_t h, enum sti_dir *d)
{
	for (struct sti_session *s = t->buckets[h & (t->nbuckets - 1)]; s;
	     s = s->hnext)
		if (s->hash == h && session_matches(s, p, d))
			return s;
	return NULL;
}

static void hash_insert(struct sti_table *t, struct sti_session *s)
{
	size_t b = s->hash & (t->nbuckets - 1);
	s->hnext = t->buckets[b];
	t->buckets[b] = s;
}

static void hash_remove(struct sti_table *t, struct sti_session *s)
{
	struct sti_session **pp = &t->buckets[s->hash & (t->nbuckets - 1)];
	while (*pp && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = s->hnext;
}

/* Double the buckets; on allocation failure the table just gets slower. */
static void maybe_grow(struct sti_table *t)
{
	if (t->count < t->nbuckets)
		return;
	size_t n = t->nbuckets * 2;
	struct sti_session **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct sti_session *s = t->buckets[i];
		while (s) {
			struct sti_session *next = s->hnext;
			s->hnext = nb[s->hash & (n - 1)];
			nb[s->hash & (n - 1)] = s;
			s = next;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets = n;
}

/* A hint to the CPU to load a line; it never faults, and without the
 * builtin it is nothing. */
static inline void prefetch(const void *p)
{
#if defined(__GNUC__) || defined(__clang__)
	__builtin_prefetch(p);
#else
	(void)p;
#endif
}

/*
 * The stages below are forced inline: gcc 12 finds a function whose only
 * effect is a prefetch free of side effects (pure), and drops every call
 * to it whose result is unused, which is every call. prefetch_around was
 * gone from the -O2 build that way; a test cannot see a missing hint,
 * `objdump -d | grep prefetch` can.
 */
#if defined(__GNUC__) || defined(__clang__)
#define STAGE_INLINE inline __attribute__((always_inline))
#else
#define STAGE_INLINE inline
#endif

/* ---- entries ---- */

/*
 * A lookup reads an entry's hash, chain and endpoints, its first 56
 * bytes. From calloc (16-byte aligned, in 272-byte chunks) those
 * straddled two cache lines three times in four. Here every entry is a
 * 256-byte slot that starts a cache line, so they are one line, and a
 * SYN flood pays no allocator slack: slots are cut from 64 KiB pages,
 * a header line then 255 slots, each page aligned to its size so that
 * a slot's page is its address rounded down.
 *
 * A page is taken when no page has room, and given back when its last
 * slot is: a SYN flood or a burst does not keep its memory after it
 * (pages are unmapped, where they come from mmap). One empty page is
 * kept back, so that a table whose size swings across a page boundary
 * (one session at a time, say) does not map and unmap at each session.
 *
 * Which slot goes next: that of the first page with room, the slot it
 * got back last first (its lines are likely still cached), else one it
 * never handed out. A full page that gets a slot back goes to the front,
 * so in a full table (a SYN flood at --max-sessions) the slot an
 * eviction frees is the one the new session gets, warm. The next slot
 * is not prefetched when one is handed out: tried, and perf's share of
 * samples on a new entry's first store did not move (16% of
 * packet_hashed's with the prefetch, 14% without), nor did wall time.
 *
 * Under AddressSanitizer a free slot is poisoned whole, its link too
 * (only this code reads that, unpoisoning first): a use of an entry
 * after its release is reported until the slot is handed out again.
 */
static struct entry_page *page_of(const struct sti_session *s)
{
	return (struct entry_page *)((uintptr_t)s & ~(uintptr_t)(ENTRY_PAGE_BYTES - 1));
}

static struct sti_session *slot_at(struct entry_page *pg, size_t i)
{
	return (struct sti_session *)(void *)((char *)pg + ENTRY_PAGE_HEAD +
					      i * ENTRY_SLOT_BYTES);
}

#if ENTRY_PAGES_MMAP
static void *map_anonymous(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* A page aligned to its size. The kernel often puts a mapping next to
 * the last one, so an exact one is tried first; else twice the size is
 * mapped and the ends around an aligned page are cut off. */
static void *page_map(void)
{
	const size_t n = ENTRY_PAGE_BYTES;
	char *p = map_anonymous(n);
	if (p && ((uintptr_t)p & (n - 1)) == 0)
		return p;
	if (p)
		munmap(p, n);
	if (!(p = map_anonymous(2 * n)))
		return NULL;
	size_t lead = (n - ((uintptr_t)p & (n - 1))) & (n - 1);
	if (lead)
		munmap(p, lead);
	munmap(p + lead + n, n - lead);
	return p + lead;
}

static void page_unmap(void *p)
{
	munmap(p, ENTRY_PAGE_BYTES);
}
#else
static void *page_map(void)
{
	return aligned_alloc(ENTRY_PAGE_BYTES, ENTRY_PAGE_BYTES);
}

static void page_unmap(void *p)
{
	free(p);
}
#endif

static void room_add(struct entry_pages *ps, struct entry_page *pg)
{
	pg->prev = NULL;
	pg->next = ps->room;
	if (ps->room)
		ps->room->prev = pg;
	ps->room = pg;
}

static void room_remove(struct entry_pages *ps, struct entry_page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		ps->room = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
}

/* An empty page, on the list: the spare, or a new one. NULL without
 * memory. A new page's slots are poisoned until handed out. */
static struct entry_page *page_new(struct entry_pages *ps)
{
	struct entry_page *pg = ps->spare;
	ps->spare = NULL;
	if (!pg) {
		if (!(pg = page_map()))
			return NULL;
		ps->held++;
		ENTRY_POISON(slot_at(pg, 0), ENTRY_SLOTS * ENTRY_SLOT_BYTES);
	}
	pg->free = NULL;
	pg->used = 0;
	pg->fresh = 0;
	room_add(ps, pg);
	return pg;
}

static void page_release(struct entry_pages *ps, struct entry_page *pg)
{
	ENTRY_UNPOISON(pg, ENTRY_PAGE_BYTES);
	page_unmap(pg);
	ps->held--;
}

/* pg's last slot came back (it had room, so it is on the list): keep it
 * as the spare, or give it back. */
static void page_emptied(struct entry_pages *ps, struct entry_page *pg)
{
	room_remove(ps, pg);
	if (ps->spare)
		page_release(ps, pg);
	else
		ps->spare = pg;
}

/* A zeroed entry, 64-byte aligned; NULL without memory. */
static struct sti_session *entry_take(struct entry_pages *ps)
{
	struct entry_page *pg = ps->room;
	if (!pg && !(pg = page_new(ps)))
		return NULL;
	struct sti_session *s = pg->free ? (struct sti_session *)(void *)pg->free
					 : slot_at(pg, pg->fresh++);
	ENTRY_UNPOISON(s, ENTRY_SLOT_BYTES);
	if (pg->free)
		pg->free = pg->free->next;
	if (++pg->used == ENTRY_SLOTS)
		room_remove(ps, pg);
	memset(s, 0, sizeof(*s));
	return s;
}

static void entry_give(struct entry_pages *ps, struct sti_session *s)
{
	struct entry_page *pg = page_of(s);
	struct entry_free *f = (struct entry_free *)(void *)s;
	f->next = pg->free;
	pg->free = f;
	ENTRY_POISON(s, ENTRY_SLOT_BYTES);
	if (--pg->used == 0)
		page_emptied(ps, pg);
	else if (pg->used == ENTRY_SLOTS - 1)   /* it was full: room again */
		room_add(ps, pg);
}

/* At the table's end every entry is back, so only the spare is left. */
static void entry_pages_free(struct entry_pages *ps)
{
	if (ps->spare)
		page_release(ps, ps->spare);
	ps->spare = NULL;
}

/* ---- life cycle ---- */

/* The payload of a client SYN, with the frame and time that carried it. */
struct sti_syn_hold {
	uint64_t frame;
	int64_t ts_us;
	uint32_t len;
	uint8_t data[];
};

/*
 * What a session has once it has streams, allocated with them: the two
 * reassemblers first (the entry's rs points at them, and so at the block),
 * the table their events go to, and data held from a TCP Fast Open SYN
 * (RFC 7413) until the SYN+ACK says whether the server took it. A SYN
 * flood's entries carry none of it.
 */
struct sti_streams {
	struct sti_reasm rs[2];
	struct sti_table *table;
	struct sti_syn_hold *syn_hold;   /* NULL almost always */
};

/* The block s->rs points into; only for a session that has streams. */
static struct sti_streams *streams_of(const struct sti_session *s)
{
	return (struct sti_streams *)(void *)s->rs;
}

static void on_stream(void *ctx, const struct sti_stream_ev *ev)
{
	struct sti_session *s = ctx;
	struct sti_table *t = streams_of(s)->table;
	if (t->ops->stream)
		t->ops->stream(t->ctx, s, ev);
}

/* Hand the held SYN data to the client's stream, or drop it. Inline for
 * the test: every client segment asks, and almost none has any. */
static void give_up_syn_data(struct sti_session *s, bool deliver);

static inline void release_syn_data(struct sti_session *s, bool deliver)
{
	if (streams_of(s)->syn_hold)
		give_up_syn_data(s, deliver);
}

static void give_up_syn_data(struct sti_session *s, bool deliver)
{
	struct sti_syn_hold *h = streams_of(s)->syn_hold;
	streams_of(s)->syn_hold = NULL;
	if (deliver)
		sti_reasm_segment(&s->rs[STI_C2S], s->client_isn + 1, h->data,
				  h->len, h->len, false, h->frame, h->ts_us);
	free(h);
}

static void close_session(struct sti_table *t, struct sti_session *s,
			  enum sti_end why)
{
	if (s->closed)
		return;
	if (s->rs) {
		release_syn_data(s, true);   /* no SYN+ACK seen: best effort */
		sti_reasm_flush(&s->rs[STI_C2S]);
		sti_reasm_flush(&s->rs[STI_S2C]);
	}
	queue_remove(&t->open, s);
	s->closed = true;
	s->end = why;
	queue_file(t, &t->closed, s);
	switch (why) {
	case STI_END_FIN: t->st.closed_fin++; break;
	case STI_END_RST: t->st.closed_rst++; break;
	case STI_END_IDLE: t->st.expired++; break;
	case STI_END_EVICTED: t->st.evicted++; break;
	case STI_END_REUSED: t->st.reused++; break;
	case STI_END_CAPTURE: t->st.at_end++; break;
	case STI_END_NONE: break;
	}
	if (t->ops->close)
		t->ops->close(t->ctx, s);
}

static void release_session(struct sti_table *t, struct sti_session *s,
			    enum sti_end why_if_open)
{
	close_session(t, s, why_if_open);
	if (t->ops->release)
		t->ops->release(t->ctx, s);
	if (t->tap_gone)
		t->tap_gone(t->tap_ctx, s);
	queue_remove(&t->closed, s);
	hash_remove(t, s);
	if (s->rs) {
		struct sti_streams *st = streams_of(s);
		free(st->syn_hold);
		sti_reasm_free(&st->rs[STI_C2S]);
		sti_reasm_free(&st->rs[STI_S2C]);
		free(st);
	}
	t->count--;
	entry_give(&t->pages, s);
}

static bool is_listed(const struct sti_table *t, uint16_t port)
{
	return sti_portset_has(&t->cfg.smtp_ports, port) ||
	       sti_portset_has(&t->cfg.tls_ports, port);
}

/* Decide who the client is; true when the packet's sender is. */
static bool sender_is_client(const struct sti_table *t, const struct sti_pkt *p,
			     enum sti_orient *how, bool *tentative)
{
	bool syn = p->flags & STI_TCP_SYN, ack = p->flags & STI_TCP_ACK;
	*tentative = false;
	if (syn) {
		*how = ack ? STI_ORIENT_SYNACK : STI_ORIENT_SYN;
		return !ack;
	}
	bool dl = is_listed(t, p->dport), sl = is_listed(t, p->sport);
	if (dl != sl) {
		*how = STI_ORIENT_PORT;
		return dl;
	}
	if (sti_sniff_greeting(p->payload, p->payload_caplen)) {
		*how = STI_ORIENT_GREETING;
		return false;
	}
	if (sti_sniff_client_hello(p->payload, p->payload_caplen)) {
		*how = STI_ORIENT_CLIENT_HELLO;
		return true;
	}
	*how = STI_ORIENT_PORT_ORDER;
	*tentative = p->payload_caplen == 0;
	return p->sport >= p->dport;
}

static void set_endpoints(struct sti_session *s, const struct sti_pkt *p,
			  bool src_is_client)
{
	struct sti_endpoint src = { p->src, p->sport }, dst = { p->dst, p->dport };
	s->cli = src_is_client ? src : dst;
	s->srv = src_is_client ? dst : src;
}

static struct sti_session *evict_one(struct sti_table *t)
{
	struct sti_session *victim = queue_oldest(&t->closed);
	if (!victim)
		victim = queue_oldest(&t->open);
	if (victim)
		release_session(t, victim, STI_END_EVICTED);
	return victim;
}

static struct sti_session *create(struct sti_table *t, const struct sti_pkt *p,
				  uint64_t h)
{
	if (t->cfg.max_sessions && t->count >= t->cfg.max_sessions &&
	    !evict_one(t))
		return NULL;
	if (!queue_reserve(&t->open, t->count + 1) ||
	    !queue_reserve(&t->closed, t->count + 1))
		return NULL;
	struct sti_session *s = entry_take(&t->pages);
	if (!s)
		return NULL;
	s->hash = h;
	s->id = ++t->next_id;
	s->end_side = STI_DIR_NONE;
	s->first_frame = p->frame;
	s->first_ts = p->ts_us;
	s->touched_us = t->now;
	enum sti_orient orient;
	bool tentative;
	bool src_cli = sender_is_client(t, p, &orient, &tentative);
	s->orient = orient;
	s->orient_tentative = tentative;
	set_endpoints(s, p, src_cli);
	maybe_grow(t);
	hash_insert(t, s);
	queue_file(t, &t->open, s);
	t->count++;
	t->st.created++;
	if (t->count > t->st.high_water)
		t->st.high_water = t->count;
	if (t->ops->open)
		t->ops->open(t->ctx, s);
	return s;
}

/*
 * A guessed orientation is checked against the first payload: an SMTP
 * greeting marks the server, a ClientHello the client. Nothing has been
 * delivered yet, so the two sides can still trade places.
 */
static void confirm_orientation(struct sti_session *s, const struct sti_pkt *p,
				enum sti_dir *d)
{
	if (!s->orient_tentative || p->payload_caplen == 0)
		return;
	s->orient_tentative = false;
	bool from_server = sti_sniff_greeting(p->payload, p->payload_caplen);
	bool from_client = sti_sniff_client_hello(p->payload, p->payload_caplen);
	if (!from_server && !from_client)
		return;
	s->orient = from_server ? STI_ORIENT_GREETING : STI_ORIENT_CLIENT_HELLO;
	bool swap = from_server ? *d == STI_C2S : *d == STI_S2C;
	if (!swap)
		return;
	struct sti_endpoint e = s->cli;
	s->cli = s->srv;
	s->srv = e;
	struct sti_dir_info di = s->dir[STI_C2S];
	s->dir[STI_C2S] = s->dir[STI_S2C];
	s->dir[STI_S2C] = di;
	struct sti_reasm r = s->rs[STI_C2S];
	s->rs[STI_C2S] = s->rs[STI_S2C];
	s->rs[STI_S2C] = r;
	s->rs[STI_C2S].dir = STI_C2S;
	s->rs[STI_S2C].dir = STI_S2C;
	*d = sti_dir_other(*d);
}

/* The client's first SYN, bare: all a half-open session ever sends. */
static bool bare_client_syn(const struct sti_pkt *p, enum sti_dir d)
{
	return d == STI_C2S && p->payload_len == 0 && p->payload_caplen == 0 &&
	       (p->flags & (STI_TCP_SYN | STI_TCP_ACK | STI_TCP_RST | STI_TCP_FIN)) ==
		       STI_TCP_SYN;
}

/*
 * Give a session its reassemblers, in the state they would have reached
 * had they seen its bare SYNs (the last ISN counts, as sti_reasm_syn
 * lets a later SYN replace an earlier one) and any stop asked for
 * before. False without memory.
 */
static bool materialize(struct sti_table *t, struct sti_session *s)
{
	if (s->rs)
		return true;
	struct sti_streams *st = calloc(1, sizeof(*st));
	if (!st)
		return false;
	st->table = t;
	s->rs = st->rs;
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		sti_reasm_init(&s->rs[d], d, t->cfg.reasm_cap, on_stream, s);
		if (s->stop_pending & (1u << d))
			sti_reasm_stop(&s->rs[d]);
	}
	if (s->dir[STI_C2S].syn)
		sti_reasm_syn(&s->rs[STI_C2S], s->client_isn);
	return true;
}

static inline void note_end(struct sti_session *s, enum sti_dir d, uint64_t frame)
{
	if (s->end_side == STI_DIR_NONE) {
		s->end_side = d;
		s->end_frame = frame;
	}
}

/*
 * Servers answer retransmitted SYNs with SYN+ACKs that may carry other
 * ISNs; the one the client acknowledges first is the connection's.
 */
static void follow_client_ack(struct sti_session *s, uint32_t ack)
{
	struct sti_reasm *srv = &s->rs[STI_S2C];
	if (s->server_isn_known)
		return;
	s->server_isn_known = true;
	/* Before any server byte was seen (no SYN+ACK in the capture), the
	 * ACK says where the server's stream stands: bytes the capture
	 * missed before the first server segment become a gap, not a
	 * stream that seems to start mid-record. */
	if (!srv->started || ack != srv->next_seq)
		sti_reasm_syn(srv, ack - 1);
}

/* Keep a copy of the SYN's payload; false if it cannot be held. */
static bool hold_syn_data(struct sti_session *s, const struct sti_pkt *p)
{
	struct sti_streams *st = streams_of(s);
	free(st->syn_hold);
	struct sti_syn_hold *h = malloc(sizeof(*h) + p->payload_caplen);
	st->syn_hold = h;
	if (!h)
		return false;
	memcpy(h->data, p->payload, p->payload_caplen);
	h->len = p->payload_caplen;
	h->frame = p->frame;
	h->ts_us = p->ts_us;
	return true;
}

/* A side's first FIN; both sides' close the session. Run for every
 * packet: "inline" because gcc stopped inlining it (5 instructions more a
 * packet) once the entry's small fields became bit-fields. */
static inline void note_fin(struct sti_table *t, struct sti_session *s,
			    const struct sti_pkt *p, enum sti_dir d)
{
	struct sti_dir_info *di = &s->dir[d];
	if ((p->flags & STI_TCP_FIN) && !di->fin_frame) {
		di->fin_frame = p->frame;
		note_end(s, d, p->frame);
	}
	if (s->dir[STI_C2S].fin_frame && s->dir[STI_S2C].fin_frame)
		close_session(t, s, STI_END_FIN);
}

/*
 * How far an acknowledgment may stray from the peer's stream before the
 * segment is taken for another connection's: a few windows' worth.
 */
#define MAX_ACK_DISTANCE (INT32_C(16) << 20)

/*
 * A segment whose acknowledgment number is nowhere near the peer's stream
 * belongs to another connection on the same 5-tuple: the same session seen
 * through a second capture path or a NAT with other sequence numbers. Only
 * judged while payload matters; after that, bulk data may outrun a capture
 * that missed the ACKs.
 */
static bool foreign_segment(const struct sti_session *s,
			    const struct sti_pkt *p, enum sti_dir d)
{
	const struct sti_reasm *peer = &s->rs[d == STI_C2S ? STI_S2C : STI_C2S];
	if (!(p->flags & STI_TCP_ACK) || !peer->started || s->rs[d].stopped)
		return false;
	int32_t off = (int32_t)(p->ack - peer->next_seq);
	return off > MAX_ACK_DISTANCE || off < -MAX_ACK_DISTANCE;
}

static void feed_tcp(struct sti_table *t, struct sti_session *s,
		     const struct sti_pkt *p, enum sti_dir d)
{
	struct sti_dir_info *di = &s->dir[d];
	if (!s->rs) {
		/* a bare SYN before anything else: what materialize needs */
		di->syn = true;
		s->client_isn = p->seq;
		return;
	}
	struct sti_reasm *rs = &s->rs[d];
	uint32_t seq = p->seq;
	if (foreign_segment(s, p, d)) {
		di->foreign++;
		return;
	}
	if (p->flags & STI_TCP_RST) {
		if (!di->rst_frame)
			di->rst_frame = p->frame;
		note_end(s, d, p->frame);
		sti_reasm_rst(rs, p->frame, p->ts_us);
		close_session(t, s, STI_END_RST);
		return;
	}
	if (p->flags & STI_TCP_SYN) {
		di->syn = true;
		if (d == STI_C2S || !s->server_isn_known)
			sti_reasm_syn(rs, p->seq);
		seq++;
		if (d == STI_C2S && !(p->flags & STI_TCP_ACK)) {
			s->client_isn = p->seq;
			if (p->payload_caplen && hold_syn_data(s, p))
				return;
		} else if (d == STI_S2C) {
			/* RFC 7413 4.2: the SYN+ACK acknowledges the SYN's data
			 * only if the server accepted it; else it is resent. */
			const struct sti_syn_hold *h = streams_of(s)->syn_hold;
			release_syn_data(s, h && p->ack == s->client_isn + 1 + h->len);
		}
	} else if (d == STI_C2S) {
		release_syn_data(s, true);   /* the SYN+ACK was not captured */
		if (p->flags & STI_TCP_ACK)
			follow_client_ack(s, p->ack);
	}
	bool fin = p->flags & STI_TCP_FIN;
	if (p->payload_len || fin)
		sti_reasm_segment(rs, seq, p->payload, p->payload_caplen,
				  p->payload_len, fin, p->frame, p->ts_us);
	note_fin(t, s, p, d);
}

/*
 * A settled session: the consumer needs no payload either way (TLS is
 * settled, or it is not mail). Ordinary segments then only move the
 * counters and the stream points, so that FIN, RST and retransmissions
 * still count; nothing is reassembled or handed up before the end. SYN,
 * RST, held SYN data and an unconfirmed side take the full path.
 */
static bool settled(const struct sti_session *s, const struct sti_pkt *p)
{
	return s->rs && s->rs[STI_C2S].stopped && s->rs[STI_S2C].stopped &&
	       !(p->flags & (STI_TCP_SYN | STI_TCP_RST)) && !streams_of(s)->syn_hold &&
	       s->server_isn_known && !s->orient_tentative;
}

static void feed_settled(struct sti_table *t, struct sti_session *s,
			 const struct sti_pkt *p, enum sti_dir d)
{
	bool fin = p->flags & STI_TCP_FIN;
	if (p->payload_len || fin)
		sti_reasm_pass(&s->rs[d], p->seq, p->payload_len, fin, p->frame, p->ts_us);
	note_fin(t, s, p, d);
}

/* A SYN on a known 5-tuple that begins a new connection. */
static bool starts_new_connection(const struct sti_session *s,
				  const struct sti_pkt *p)
{
	if (!(p->flags & STI_TCP_SYN) || (p->flags & STI_TCP_ACK))
		return false;
	if (s->closed)
		return true;
	return s->dir[STI_C2S].syn && p->seq != s->client_isn &&
	       endpoint_eq(&s->cli, &p->src, p->sport);
}

static void handle_packet(struct sti_table *t, const struct sti_pkt *p,
			  uint64_t h)
{
	enum sti_dir d;
	struct sti_session *s = lookup(t, p, h, &d);
	if (s && starts_new_connection(s, p)) {
		release_session(t, s, STI_END_REUSED);
		s = NULL;
	}
	if (!s) {
		if (!(s = create(t, p, h)))
			return;
		d = endpoint_eq(&s->cli, &p->src, p->sport) ? STI_C2S : STI_S2C;
	}
	s->dir[d].packets++;
	s->dir[d].payload_bytes += p->payload_len;
	s->last_frame = p->frame;
	s->last_ts = p->ts_us;
	touch_entry(t, s);
	if (!s->rs && !bare_client_syn(p, d) && !materialize(t, s))
		return;
	if (t->tap)
		t->tap(t->tap_ctx, s, p);
	if (s->closed)
		return;
	if (settled(s, p)) {
		feed_settled(t, s, p, d);
		return;
	}
	confirm_orientation(s, p, &d);
	feed_tcp(t, s, p, d);
}

/* Whether a session of either queue may be due: the tests
 * sti_table_expire makes, made here so that a packet that expires nothing
 * (nearly all) costs no call. */
static inline bool expiry_due(const struct sti_table *t, int64_t now_us)
{
	return queue_due(&t->open, now_us, t->cfg.idle_timeout_us) ||
	       queue_due(&t->closed, now_us, t->cfg.linger_us);
}

static void packet_hashed(struct sti_table *t, const struct sti_pkt *p, uint64_t h)
{
	/*
	 * The clock only moves forward, and sessions are expired after the
	 * packet has touched its own: a capture whose timestamps jump about
	 * (merged files, a first packet stamped 1970) must not expire the
	 * session the packet belongs to.
	 */
	if (p->ts_us > t->now)
		t->now = p->ts_us;
	handle_packet(t, p, h);
	if (expiry_due(t, t->now))
		sti_table_expire(t, t->now);
}

void sti_table_packet(struct sti_table *t, const struct sti_pkt *p)
{
	packet_hashed(t, p, tuple_hash(t, p));
}

static STAGE_INLINE void prefetch_bucket(const struct sti_table *t, uint64_t h)
{
	prefetch(&t->buckets[h & (t->nbuckets - 1)]);
}

/* The first entry of the chain: nearly always the one, or the only one.
 * All of it: a packet reads its key, counters, times, streams and list
 * links, in every line of the entry (a slot: exactly four lines). */
static STAGE_INLINE void prefetch_entry(const struct sti_table *t, uint64_t h)
{
	const struct sti_session *s = t->buckets[h & (t->nbuckets - 1)];
	if (!s)
		return;
	const char *c = (const char *)s;
	for (size_t at = 0; at < sizeof(*s); at += 64)
		prefetch(c + at);
}

/* What a packet touches through its entry: the streams (the start, both
 * stop flags and the counters after them, which every segment reads:
 * perf put a sixth of packet_hashed's samples on the flags' lines) and
 * the consumer's state. */
static STAGE_INLINE void prefetch_around(const struct sti_table *t, uint64_t h)
{
	const struct sti_session *s = t->buckets[h & (t->nbuckets - 1)];
	if (!s || s->hash != h)
		return;
	if (s->rs) {
		prefetch(s->rs);
		prefetch(&s->rs[STI_C2S].stopped);
		prefetch(&s->rs[STI_C2S].st);
		prefetch(&s->rs[STI_S2C].stopped);
		prefetch(&s->rs[STI_S2C].st);
	}
	if (s->app)
		prefetch(s->app);
}

/* Packets taken together by sti_table_packets: enough for their loads to
 * overlap, few enough that what they ask for is still in cache when
 * they are handled. */
#define STAGED_PACKETS 16

/* Each stage runs over all the packets before the next stage starts, so
 * each one's load has the others' work to hide behind. The table may
 * change in between (a packet opens or releases a session): a prefetch is
 * only a hint, and every packet still finds its entry by lookup. */
static void packets_staged(struct sti_table *t, const struct sti_pkt *v, size_t n)
{
	uint64_t h[STAGED_PACKETS];
	for (size_t i = 0; i < n; i++) {
		h[i] = tuple_hash(t, &v[i]);
		prefetch_bucket(t, h[i]);
	}
	for (size_t i = 0; i < n; i++)
		prefetch_entry(t, h[i]);
	for (size_t i = 0; i < n; i++)
		prefetch_around(t, h[i]);
	for (size_t i = 0; i < n; i++)
		packet_hashed(t, &v[i], h[i]);
}

void sti_table_packets(struct sti_table *t, const struct sti_pkt *v, size_t n)
{
	for (size_t at = 0; at < n; at += STAGED_PACKETS)
		packets_staged(t, v + at, n - at < STAGED_PACKETS ? n - at : STAGED_PACKETS);
}

/* Release q's sessions idle for `timeout` at `now_us`, least recently
 * touched first, and note when the next one falls due. */
static void expire_queue(struct sti_table *t, struct sti_queue *q, int64_t now_us,
			 int64_t timeout, enum sti_end why_if_open)
{
	struct sti_session *s;
	while ((s = queue_oldest(q)) && now_us - s->touched_us >= timeout)
		release_session(t, s, why_if_open);
	if (s)
		q->since = s->touched_us;
}

/*
 * A queue is looked at only when its own test says an entry may be due:
 * looking re-files stale entries, and the open queue's would otherwise be
 * re-filed at every end of a closed session's lingering. The open
 * sessions go first, as the list had them; releasing them changes
 * nothing in the closed queue (they pass through it at once).
 */
void sti_table_expire(struct sti_table *t, int64_t now_us)
{
	if (queue_due(&t->open, now_us, t->cfg.idle_timeout_us))
		expire_queue(t, &t->open, now_us, t->cfg.idle_timeout_us, STI_END_IDLE);
	if (queue_due(&t->closed, now_us, t->cfg.linger_us))
		expire_queue(t, &t->closed, now_us, t->cfg.linger_us, STI_END_NONE);
}

static int by_id(const void *a, const void *b)
{
	const struct sti_session *x = *(struct sti_session *const *)a;
	const struct sti_session *y = *(struct sti_session *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

void sti_table_flush(struct sti_table *t)
{
	/* Close in order of first packet, so reports come out in id order;
	 * without memory for the sort, list order will do. */
	size_t n = t->open.heap_n;
	for (struct sti_session *s = t->open.head; s; s = s->lnext)
		n++;
	struct sti_session **v = n ? malloc(n * sizeof(*v)) : NULL;
	if (v) {
		n = 0;
		for (struct sti_session *s = t->open.head; s; s = s->lnext)
			v[n++] = s;
		for (size_t i = 0; i < t->open.heap_n; i++)
			v[n++] = t->open.heap[i].s;
		qsort(v, n, sizeof(*v), by_id);
		for (size_t i = 0; i < n; i++)
			close_session(t, v[i], STI_END_CAPTURE);
		free(v);
	}
	struct sti_session *s;
	while ((s = queue_oldest(&t->open)))
		close_session(t, s, STI_END_CAPTURE);
	while ((s = queue_oldest(&t->closed)))
		release_session(t, s, STI_END_NONE);
}

void sti_table_set_tap(struct sti_table *t, sti_table_tap tap,
		       sti_table_tap_gone gone, void *ctx)
{
	t->tap = tap;
	t->tap_gone = gone;
	t->tap_ctx = ctx;
}

void sti_session_stop_payload(struct sti_session *s, enum sti_dir d)
{
	if (s->rs)
		sti_reasm_stop(&s->rs[d]);
	else
		s->stop_pending |= 1u << d;   /* taken up when the streams come */
}

const struct sti_reasm *sti_session_stream(const struct sti_session *s,
					   enum sti_dir d)
{
	static const struct sti_reasm idle;
	return s->rs ? &s->rs[d] : &idle;
}

static uint64_t random_seed(void)
{
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		seed ^= (uint64_t)ts.tv_nsec * UINT64_C(0x9e3779b97f4a7c15);
	return mix64(seed);
}

struct sti_table *sti_table_new(const struct sti_session_cfg *cfg,
				const struct sti_session_ops *ops, void *ctx)
{
	struct sti_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->ops = ops;
	t->ctx = ctx;
	t->nbuckets = INITIAL_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->seed = random_seed();
	t->now = INT64_MIN;
	return t;
}

void sti_table_free(struct sti_table *t)
{
	if (!t)
		return;
	sti_table_flush(t);
	free(t->open.heap);
	free(t->closed.heap);
	free(t->buckets);
	entry_pages_free(&t->pages);
	free(t);
}

size_t sti_table_count(const struct sti_table *t)
{
	return t->count;
}

size_t sti_table_entry_pages(const struct sti_table *t)
{
	return t->pages.held;
}

const struct sti_table_stats *sti_table_stats(const struct sti_table *t)
{
	return &t->st;
}
