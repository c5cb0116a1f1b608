/* transport.c: SFTP and WebDAV through libcurl, with retries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/curl_api.h"
#include "net/transport.h"

/* libcurl, loaded by the first transfer (curl_ready). */
static const struct curl_api *cu;
#define curl_easy_init() cu->easy_init()
#undef curl_easy_setopt	/* curl.h checks its arguments with a macro */
#define curl_easy_setopt(...) cu->easy_setopt(__VA_ARGS__)
#define curl_easy_perform(c) cu->easy_perform(c)
#define curl_easy_cleanup(c) cu->easy_cleanup(c)
#define curl_easy_strerror(rc) cu->easy_strerror(rc)
#define curl_easy_unescape(...) cu->easy_unescape(__VA_ARGS__)
#define curl_free(p) cu->free(p)
#define curl_slist_append(l, s) cu->slist_append(l, s)
/* Lists are freed on paths that may not have loaded it. */
#define curl_slist_free_all(l) (cu != NULL ? cu->slist_free_all(l) : (void)0)

static int
curl_ready(struct sp_error *err)
{
	if (cu == NULL)
		cu = curl_api_load(err);
	return cu != NULL ? 0 : -1;
}

const struct transport_opts transport_default_opts = {
	.retries = 3,
	.retry_max_time = 300,
	.connect_timeout = 30,
	.stall_timeout = 60,
};

int
transport_is_url(const char *s)
{
	return strncmp(s, "sftp://", 7) == 0 || strncmp(s, "http://", 7) == 0 ||
	    strncmp(s, "https://", 8) == 0;
}

static int
is_sftp(const char *url)
{
	return strncmp(url, "sftp://", 7) == 0;
}

char *
transport_join(const char *url, const char *sub)
{
	size_t n = strlen(url);
	char *out;

	if (asprintf(&out, "%s%s%s%s", url, n && url[n - 1] == '/' ? "" : "/",
	    sub, sub[0] && sub[strlen(sub) - 1] != '/' ? "/" : "") < 0)
		return NULL;
	return out;
}

/* The path part of an sftp URL, for quote commands (rename, rm, mkdir). */
static const char *
sftp_path(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? strchr(p + 3, '/') : NULL;
	return p ? p : "/";
}

static char *
home_file(const char *rel)
{
	const char *home = getenv("HOME");
	char *p;

	if (home == NULL || asprintf(&p, "%s/%s", home, rel) < 0)
		return NULL;
	return p;
}

/* Only a host key listed in known_hosts is accepted: no trust on first
 * use. */
static int
host_key_check(CURL *c, const struct curl_khkey *known,
    const struct curl_khkey *found, enum curl_khmatch match, void *ctx)
{
	(void)c;
	(void)known;
	(void)found;
	(void)ctx;
	return match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT;
}

/* A configured handle for url; the caller adds the operation. Every
 * option is checked: a libcurl built without one (SSH, a CA file) must not
 * go on without the check that option asks for. */
static CURL *
handle_for(const struct transport_opts *o, const char *url, char *errbuf,
    char **owned_paths, struct sp_error *err)
{
	CURL *c = curl_ready(err) == 0 ? curl_easy_init() : NULL;
	CURLcode rc = CURLE_OK;

	owned_paths[0] = owned_paths[1] = NULL;
	if (c == NULL && cu == NULL)
		return NULL;
	if (c == NULL) {
		sp_error_set(err, "cannot start libcurl");
		return NULL;
	}
/* The first failing option is kept in rc; the later ones are not tried. */
#define SET(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)
	errbuf[0] = '\0';
	SET(CURLOPT_URL, url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	/* A stalled transfer: fewer than 1 byte/s for stall_timeout. */
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, o->stall_timeout);
	if (is_sftp(url)) {
		const char *key = o->ssh_key;
		const char *kh = o->known_hosts;
		if (key == NULL)
			key = owned_paths[0] = home_file(".ssh/id_ed25519");
		if (kh == NULL)
			kh = owned_paths[1] = home_file(".ssh/known_hosts");
		SET(CURLOPT_SSH_AUTH_TYPES, (long)CURLSSH_AUTH_PUBLICKEY);
		if (key != NULL)
			SET(CURLOPT_SSH_PRIVATE_KEYFILE, key);
		if (!o->insecure) {
			struct stat st;
			if (kh == NULL || stat(kh, &st) != 0) {
				sp_error_set(err, "%s: no known_hosts file: the host "
				    "key cannot be checked (give --known-hosts)",
				    kh ? kh : "~/.ssh/known_hosts");
				goto fail;
			}
			SET(CURLOPT_SSH_KNOWNHOSTS, kh);
			SET(CURLOPT_SSH_KEYFUNCTION, host_key_check);
		}
	} else {
		SET(CURLOPT_FAILONERROR, 1L);
		if (o->cacert != NULL)
			SET(CURLOPT_CAINFO, o->cacert);
		if (o->netrc != NULL) {
			SET(CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
			SET(CURLOPT_NETRC_FILE, o->netrc);
		}
		if (o->insecure) {
			SET(CURLOPT_SSL_VERIFYPEER, 0L);
			SET(CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
#undef SET
	if (rc == CURLE_OK)
		return c;
	sp_error_set(err, "%s: libcurl: %s", url, curl_easy_strerror(rc));
fail:
	curl_easy_cleanup(c);
	free(owned_paths[0]);
	free(owned_paths[1]);
	owned_paths[0] = owned_paths[1] = NULL;
	return NULL;
}

/* Runs c, retrying with exponential backoff; prepare (may be NULL)
 * rewinds the body before each attempt, and a failure there stops: a body
 * that cannot be rewound would be sent or kept twice. */
static int
perform(const struct transport_opts *o, CURL *c, const char *url,
    const char *errbuf, int (*prepare)(void *), void *ctx,
    struct sp_error *err)
{
	time_t start = time(NULL);
	unsigned delay = 1;
	CURLcode rc;

	for (int attempt = 0;; attempt++) {
		if (prepare != NULL && prepare(ctx) != 0)
			return sp_error_io(err, "%s: cannot rewind the local "
			    "file: %s", url, strerror(errno));
		rc = curl_easy_perform(c);
		if (rc == CURLE_OK)
			return 0;
		/* Refusals that a retry cannot fix. */
		if (rc == CURLE_PEER_FAILED_VERIFICATION ||
		    rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_LOGIN_DENIED ||
		    rc == CURLE_REMOTE_ACCESS_DENIED || rc == CURLE_REMOTE_FILE_NOT_FOUND ||
		    rc == CURLE_QUOTE_ERROR || attempt >= o->retries ||
		    time(NULL) - start + (time_t)delay > o->retry_max_time)
			break;
		sleep(delay);
		delay *= 2;
	}
	return sp_error_set(err, "%s: %s", url, errbuf[0] ? errbuf :
	    curl_easy_strerror(rc));
}

static void
free_paths(char **p)
{
	free(p[0]);
	free(p[1]);
}

static int
rewind_file(void *ctx)
{
	return fseek((FILE *)ctx, 0L, SEEK_SET);
}

/* A download restarts from the first byte: what an earlier attempt wrote
 * must go. */
static int
truncate_file(void *ctx)
{
	FILE *f = ctx;

	if (fflush(f) != 0 || fseek(f, 0L, SEEK_SET) != 0 ||
	    ftruncate(fileno(f), 0) != 0)
		return -1;
	clearerr(f);
	return 0;
}

/* Appends line to *list; on failure the list stays as it was. */
static int
list_add(struct curl_slist **list, const char *line, struct sp_error *err)
{
	struct curl_slist *l;

	if (curl_ready(err) != 0)
		return -1;
	if ((l = curl_slist_append(*list, line)) == NULL)
		return sp_error_set(err, "out of memory");
	*list = l;
	return 0;
}

static int
refused_option(const char *url, struct sp_error *err)
{
	return sp_error_set(err, "%s: libcurl refused a transfer option", url);
}

/* WebDAV MOVE from → to, not overwriting. */
static int
dav_move(const struct transport_opts *o, const char *from, const char *to,
    struct sp_error *err)
{
	char errbuf[CURL_ERROR_SIZE], *paths[2], *dest = NULL;
	struct curl_slist *hdr = NULL;
	CURL *c = handle_for(o, from, errbuf, paths, err);
	int rc = -1;

	if (c == NULL)
		return -1;
	if (asprintf(&dest, "Destination: %s", to) < 0) {
		dest = NULL;
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	if (list_add(&hdr, dest, err) != 0 ||
	    list_add(&hdr, "Overwrite: F", err) != 0)
		goto cleanup;
	if (curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "MOVE") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOBODY, 1L) != CURLE_OK) {
		refused_option(from, err);
		goto cleanup;
	}
	rc = perform(o, c, from, errbuf, NULL, NULL, err);
cleanup:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(dest);
	free_paths(paths);
	return rc;
}

/* Runs SFTP quote commands against dir_url. */
static int
sftp_quote(const struct transport_opts *o, const char *dir_url,
    const char *const *commands, struct sp_error *err)
{
	char errbuf[CURL_ERROR_SIZE], *paths[2];
	struct curl_slist *q = NULL;
	CURL *c = handle_for(o, dir_url, errbuf, paths, err);
	int rc = -1;

	if (c == NULL)
		return -1;
	for (int i = 0; commands[i] != NULL; i++)
		if (list_add(&q, commands[i], err) != 0)
			goto cleanup;
	if (curl_easy_setopt(c, CURLOPT_QUOTE, q) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOBODY, 1L) != CURLE_OK) {
		refused_option(dir_url, err);
		goto cleanup;
	}
	rc = perform(o, c, dir_url, errbuf, NULL, NULL, err);
cleanup:
	curl_slist_free_all(q);
	curl_easy_cleanup(c);
	free_paths(paths);
	return rc;
}

int
transport_put(const struct transport_opts *o, const char *dir_url,
    const char *name, const char *local_path, struct sp_error *err)
{
	char errbuf[CURL_ERROR_SIZE], *paths[2], *tmp_url = NULL,
	    *final_url = NULL, *rename_cmd = NULL;
	struct curl_slist *post = NULL;
	struct stat st;
	FILE *f = fopen(local_path, "rb");
	CURL *c = NULL;
	int rc = -1;

	paths[0] = paths[1] = NULL;
	if (f == NULL || fstat(fileno(f), &st) != 0) {
		if (f != NULL)
			fclose(f);
		return sp_error_set(err, "%s: cannot read", local_path);
	}
	if (asprintf(&tmp_url, "%s.%s.part", dir_url, name) < 0 ||
	    asprintf(&final_url, "%s%s", dir_url, name) < 0) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	c = handle_for(o, tmp_url, errbuf, paths, err);
	if (c == NULL)
		goto cleanup;
	if (curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READDATA, f) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)st.st_size) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FTP_CREATE_MISSING_DIRS,
	    (long)CURLFTP_CREATE_DIR) != CURLE_OK) {
		refused_option(final_url, err);
		goto cleanup;
	}
	if (is_sftp(dir_url)) {
		/* Renamed on the server once the bytes are all there. */
		const char *dir = sftp_path(dir_url);
		if (asprintf(&rename_cmd, "rename %s.%s.part %s%s", dir, name, dir,
		    name) < 0) {
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		if (list_add(&post, rename_cmd, err) != 0)
			goto cleanup;
		if (curl_easy_setopt(c, CURLOPT_POSTQUOTE, post) != CURLE_OK) {
			refused_option(final_url, err);
			goto cleanup;
		}
	}
	if (perform(o, c, final_url, errbuf, rewind_file, f, err) != 0)
		goto cleanup;
	if (!is_sftp(dir_url) && dav_move(o, tmp_url, final_url, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_slist_free_all(post);
	fclose(f);
	free(tmp_url);
	free(final_url);
	free(rename_cmd);
	free_paths(paths);
	return rc;
}

struct growbuf {
	char *data;
	size_t len;
};

static size_t
collect(char *p, size_t size, size_t n, void *ctx)
{
	struct growbuf *b = ctx;
	size_t add = size * n;
	char *grown;

	if (b->len + add > 64 * 1024 * 1024)
		return 0;	/* a listing this large is not a mailbox */
	grown = realloc(b->data, b->len + add + 1);
	if (grown == NULL)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, p, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

static int
add_name(char ***names, size_t *count, const char *start, size_t len)
{
	char **grown;

	if (len == 0 || start[0] == '.' || memchr(start, '/', len))
		return 0;
	grown = realloc(*names, (*count + 1) * sizeof(**names));
	if (grown == NULL)
		return -1;
	*names = grown;
	if ((grown[*count] = strndup(start, len)) == NULL)
		return -1;
	(*count)++;
	return 0;
}

/* Pulls the last path element out of each <href> of a PROPFIND reply;
 * folders (ending in "/") are skipped. libcurl decodes no XML, and the
 * mailbox only needs file names, so the hrefs are read as text. */
static int
parse_propfind(const char *xml, char ***names, size_t *count)
{
	const char *p = xml;

	while ((p = strstr(p, "href>")) != NULL) {
		const char *start = p + 5, *end = strchr(start, '<');
		const char *last;
		char *decoded;
		int len;

		p = start;
		if (end == NULL)
			break;
		if (end > start && end[-1] == '/')
			continue;
		for (last = end; last > start && last[-1] != '/'; last--)
			;
		decoded = curl_easy_unescape(NULL, last, (int)(end - last), &len);
		if (decoded == NULL || add_name(names, count, decoded,
		    (size_t)len) != 0) {
			curl_free(decoded);
			return -1;
		}
		curl_free(decoded);
	}
	return 0;
}

int
transport_list(const struct transport_opts *o, const char *dir_url,
    char ***names, size_t *count, struct sp_error *err)
{
	char errbuf[CURL_ERROR_SIZE], *paths[2];
	struct growbuf b = { NULL, 0 };
	struct curl_slist *hdr = NULL;
	CURL *c = handle_for(o, dir_url, errbuf, paths, err);
	int rc = -1;

	*names = NULL;
	*count = 0;
	if (c == NULL)
		return -1;
	err->msg[0] = '\0';
	if (curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b) != CURLE_OK) {
		refused_option(dir_url, err);
		goto cleanup;
	}
	if (is_sftp(dir_url)) {
		if (curl_easy_setopt(c, CURLOPT_DIRLISTONLY, 1L) != CURLE_OK) {
			refused_option(dir_url, err);
			goto cleanup;
		}
	} else {
		if (list_add(&hdr, "Depth: 1", err) != 0 ||
		    list_add(&hdr, "Content-Type: application/xml", err) != 0)
			goto cleanup;
		if (curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PROPFIND") !=
		    CURLE_OK || curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) !=
		    CURLE_OK) {
			refused_option(dir_url, err);
			goto cleanup;
		}
	}
	if (perform(o, c, dir_url, errbuf, NULL, NULL, err) != 0)
		goto cleanup;
	if (b.data != NULL) {
		if (is_sftp(dir_url)) {
			for (char *line = strtok(b.data, "\r\n"); line != NULL;
			    line = strtok(NULL, "\r\n"))
				if (add_name(names, count, line, strlen(line)) != 0)
					goto cleanup;
		} else if (parse_propfind(b.data, names, count) != 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	if (rc != 0) {
		transport_names_free(*names, *count);
		*names = NULL;
		*count = 0;
		if (!err->msg[0])
			sp_error_set(err, "%s: cannot list", dir_url);
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(b.data);
	free_paths(paths);
	return rc;
}

void
transport_names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int
transport_get(const struct transport_opts *o, const char *dir_url,
    const char *name, FILE *out, struct sp_error *err)
{
	char errbuf[CURL_ERROR_SIZE], *paths[2], *url = NULL;
	CURL *c;
	int rc = -1;

	if (asprintf(&url, "%s%s", dir_url, name) < 0)
		return sp_error_set(err, "out of memory");
	c = handle_for(o, url, errbuf, paths, err);
	if (c != NULL) {
		/* A dropped connection restarts the download from the start. */
		if (curl_easy_setopt(c, CURLOPT_WRITEDATA, out) != CURLE_OK)
			rc = refused_option(url, err);
		else
			rc = perform(o, c, url, errbuf, truncate_file, out, err);
		if (rc == 0 && fflush(out) != 0)
			rc = sp_error_set(err, "%s: write error", url);
		curl_easy_cleanup(c);
		free_paths(paths);
	}
	free(url);
	return rc;
}

int
transport_done(const struct transport_opts *o, const char *dir_url,
    const char *name, int delete_it, struct sp_error *err)
{
	char *a = NULL, *b = NULL, *from = NULL, *to = NULL, *done = NULL;
	int rc = -1;

	err->msg[0] = '\0';
	if (is_sftp(dir_url)) {
		const char *dir = sftp_path(dir_url);
		if (delete_it) {
			if (asprintf(&a, "rm %s%s", dir, name) < 0)
				goto cleanup;
			{
				const char *cmds[] = { a, NULL };
				rc = sftp_quote(o, dir_url, cmds, err);
			}
		} else {
			/* "*": a done/ folder that exists already is fine. */
			if (asprintf(&a, "*mkdir %sdone", dir) < 0 ||
			    asprintf(&b, "rename %s%s %sdone/%s", dir, name, dir,
			    name) < 0)
				goto cleanup;
			{
				const char *cmds[] = { a, b, NULL };
				rc = sftp_quote(o, dir_url, cmds, err);
			}
		}
		goto cleanup;
	}
	if (asprintf(&from, "%s%s", dir_url, name) < 0 ||
	    asprintf(&done, "%sdone/", dir_url) < 0 ||
	    asprintf(&to, "%s%s", done, name) < 0)
		goto cleanup;
	{
		char errbuf[CURL_ERROR_SIZE], *paths[2];
		CURL *c = handle_for(o, delete_it ? from : done, errbuf, paths,
		    err);
		if (c == NULL)
			goto cleanup;
		if (curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, delete_it ?
		    "DELETE" : "MKCOL") != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_NOBODY, 1L) != CURLE_OK ||
		    (!delete_it && curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L)
		    != CURLE_OK))
			rc = refused_option(from, err);
		else if (delete_it)
			rc = perform(o, c, from, errbuf, NULL, NULL, err);
		else {
			/* MKCOL on an existing folder answers 405: fine. A
			 * server that cannot be reached fails the MOVE, which
			 * says why. */
			(void)curl_easy_perform(c);
			rc = dav_move(o, from, to, err);
		}
		curl_easy_cleanup(c);
		free_paths(paths);
	}
cleanup:
	if (rc != 0 && !err->msg[0])
		sp_error_set(err, "out of memory");
	free(a);
	free(b);
	free(from);
	free(to);
	free(done);
	return rc;
}
