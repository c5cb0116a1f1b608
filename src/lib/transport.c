/* transport.c: SFTP and WebDAV through libcurl, with retries. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "transport.h"

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

/* A configured handle for url; the caller adds the operation. */
static CURL *
handle_for(const struct transport_opts *o, const char *url, char *errbuf,
    char **owned_paths, struct sp_error *err)
{
	CURL *c = curl_easy_init();

	owned_paths[0] = owned_paths[1] = NULL;
	if (c == NULL) {
		sp_error_set(err, "cannot start libcurl");
		return NULL;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	/* A stalled transfer: fewer than 1 byte/s for stall_timeout. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->stall_timeout);
	if (is_sftp(url)) {
		const char *key = o->ssh_key;
		const char *kh = o->known_hosts;
		if (key == NULL)
			key = owned_paths[0] = home_file(".ssh/id_ed25519");
		if (kh == NULL)
			kh = owned_paths[1] = home_file(".ssh/known_hosts");
		curl_easy_setopt(c, CURLOPT_SSH_AUTH_TYPES,
		    (long)CURLSSH_AUTH_PUBLICKEY);
		if (key != NULL)
			curl_easy_setopt(c, CURLOPT_SSH_PRIVATE_KEYFILE, key);
		if (!o->insecure) {
			struct stat st;
			if (kh == NULL || stat(kh, &st) != 0) {
				sp_error_set(err, "%s: no known_hosts file: the host "
				    "key cannot be checked (give --known-hosts)",
				    kh ? kh : "~/.ssh/known_hosts");
				curl_easy_cleanup(c);
				return NULL;
			}
			curl_easy_setopt(c, CURLOPT_SSH_KNOWNHOSTS, kh);
			curl_easy_setopt(c, CURLOPT_SSH_KEYFUNCTION, host_key_check);
		}
	} else {
		curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
		if (o->cacert != NULL)
			curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
		if (o->netrc != NULL) {
			curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
			curl_easy_setopt(c, CURLOPT_NETRC_FILE, o->netrc);
		}
		if (o->insecure) {
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	return c;
}

/* Runs c, retrying with exponential backoff; prepare (may be NULL)
 * rewinds the body before each attempt. */
static int
perform(const struct transport_opts *o, CURL *c, const char *url,
    const char *errbuf, void (*prepare)(void *), void *ctx,
    struct sp_error *err)
{
	time_t start = time(NULL);
	unsigned delay = 1;
	CURLcode rc;

	for (int attempt = 0;; attempt++) {
		if (prepare != NULL)
			prepare(ctx);
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

static void
rewind_file(void *ctx)
{
	rewind((FILE *)ctx);
}

static void
truncate_file(void *ctx)
{
	FILE *f = ctx;

	fflush(f);
	rewind(f);
	if (ftruncate(fileno(f), 0) != 0)
		clearerr(f);
}

/* WebDAV MOVE from → to, not overwriting. */
static int
dav_move(const struct transport_opts *o, const char *from, const char *to,
    struct sp_error *err)
{
	char errbuf[CURL_ERROR_SIZE], *paths[2], *dest = NULL;
	struct curl_slist *hdr = NULL;
	CURL *c = handle_for(o, from, errbuf, paths, err);
	int rc;

	if (c == NULL)
		return -1;
	if (asprintf(&dest, "Destination: %s", to) < 0)
		dest = NULL;
	hdr = curl_slist_append(hdr, dest ? dest : "Destination: ");
	hdr = curl_slist_append(hdr, "Overwrite: F");
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "MOVE");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	rc = perform(o, c, from, errbuf, NULL, NULL, err);
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
	int rc;

	if (c == NULL)
		return -1;
	for (int i = 0; commands[i] != NULL; i++)
		q = curl_slist_append(q, commands[i]);
	curl_easy_setopt(c, CURLOPT_QUOTE, q);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	rc = perform(o, c, dir_url, errbuf, NULL, NULL, err);
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
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READDATA, f);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
	curl_easy_setopt(c, CURLOPT_FTP_CREATE_MISSING_DIRS,
	    (long)CURLFTP_CREATE_DIR);
	if (is_sftp(dir_url)) {
		/* Renamed on the server once the bytes are all there. */
		const char *dir = sftp_path(dir_url);
		if (asprintf(&rename_cmd, "rename %s.%s.part %s%s", dir, name, dir,
		    name) < 0) {
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		post = curl_slist_append(post, rename_cmd);
		curl_easy_setopt(c, CURLOPT_POSTQUOTE, post);
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
	grown[*count] = strndup(start, len);
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
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (is_sftp(dir_url))
		curl_easy_setopt(c, CURLOPT_DIRLISTONLY, 1L);
	else {
		hdr = curl_slist_append(hdr, "Depth: 1");
		hdr = curl_slist_append(hdr, "Content-Type: application/xml");
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PROPFIND");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
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
		curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
		/* A dropped connection restarts the download from the start. */
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
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, delete_it ? "DELETE"
		    : "MKCOL");
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		if (delete_it)
			rc = perform(o, c, from, errbuf, NULL, NULL, err);
		else {
			/* MKCOL on an existing folder answers 405: fine. */
			curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
			curl_easy_perform(c);
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
