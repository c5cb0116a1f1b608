/* record.h: the metadata of one record, as it travels in exchange files
 * (sxf/wire_record.h) and as every store keeps it (store/store.h). */
#ifndef SYNCPACK_RECORD_H
#define SYNCPACK_RECORD_H

#include "sxf/siteid.h"

struct store_record {
	char guid[33];
	char table[256];
	char origin[SITEID_MAX + 1];
	char owner[SITEID_MAX + 1];
	char hlc_site[SITEID_MAX + 1];
	char src[SITEID_MAX + 1];	/* peer the version came from; "" local */
	long long rowversion;
	long long hlc;
	long long lseq;		/* local sequence (local meaning only) */
	long long base;		/* rowversion last received from a peer */
	long long base_hlc;	/* and its HLC stamp */
	char base_site[SITEID_MAX + 1];	/* and its site; "" not known */
	/* The write whose values the version holds, when a site stamped
	 * them anew (a delete that lost there, syncpack(7)): between two
	 * live versions last-writer-wins compares these. 0: the version's
	 * own hlc and hlc_site. */
	long long values_hlc;
	char values_site[SITEID_MAX + 1];
	/* A tombstone left by an identity merge: the GUID of the record
	 * that holds the same natural key and took this one's place
	 * (syncpack(7), Keys); "" otherwise. Local only: it never travels. */
	char merged[33];
	int deleted;
	int flags;		/* 1 frozen, 2 in transit, 4 held, 8 revived,
				 * 16 sent back to src too (held first) */
	int locked;		/* reserved in syncpack_lock (changes only) */
};

#endif
