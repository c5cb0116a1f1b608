/* syncadm.h: the subcommands of syncadm, split over files by topic. */
#ifndef SYNCPACK_SYNCADM_H
#define SYNCPACK_SYNCADM_H

#include <stdio.h>

#include "store/listings.h"

void syncadm_usage(FILE *f);
void syncadm_common_option(int c, const char **db);
void syncadm_open(struct site *s, const char *db);
const char *syncadm_only_database(int argc, char **argv, int positional);
/* A subcommand that takes only -d and --json and prints list's rows;
 * returns 0. */
int syncadm_print(int argc, char **argv, store_listing_fn list);

struct site;
/* Registers the keys in keyfile (its text pem) for peer, saying when it
 * has no sealing key; exits on failure. */
void syncadm_peer_keys(struct site *s, const char *peer, const char *keyfile,
    const char *pem);
/* Sets how files to peer are compressed (name NULL: unchanged). */
void syncadm_peer_compression(struct site *s, const char *peer,
    const char *name);
int syncadm_cmd_key(int argc, char **argv);
int syncadm_cmd_peer_set(int argc, char **argv);

int syncadm_cmd_conflicts(int argc, char **argv);
int syncadm_cmd_held(int argc, char **argv);
int syncadm_cmd_lock(int argc, char **argv);
int syncadm_cmd_locks(int argc, char **argv);
int syncadm_cmd_tables(int argc, char **argv);
int syncadm_cmd_track(int argc, char **argv);
int syncadm_cmd_unlock(int argc, char **argv);
int syncadm_cmd_status(int argc, char **argv);
int syncadm_cmd_untrack(int argc, char **argv);
int syncadm_cmd_vacuum(int argc, char **argv);

#endif
