/* SPDX-License-Identifier: Apache-2.0 */
#include "uio_name.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define UIO_PREFIX "tcm-user/"

/* Copy [s, s+n) into dst (size len) as a C string. */
static int copy_part(char *dst, size_t len, const char *s, size_t n)
{
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* Length of s without trailing whitespace. */
static size_t trimmed_length(const char *s)
{
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return n;
}

int tcmud_dev_config_split(const char *dev_config, char *subtype, size_t subtype_len,
			   char *cfgstring, size_t cfgstring_len)
{
	size_t n = trimmed_length(dev_config);
	const char *slash = memchr(dev_config, '/', n);
	size_t sub_n = slash ? (size_t)(slash - dev_config) : n;

	if (sub_n == 0)
		return -EINVAL;
	int rc = copy_part(subtype, subtype_len, dev_config, sub_n);
	if (rc)
		return rc;
	if (!slash)
		return copy_part(cfgstring, cfgstring_len, "", 0);
	return copy_part(cfgstring, cfgstring_len, slash + 1, n - sub_n - 1);
}

/* Parse the decimal HBA number up to the next '/'; returns the '/' or NULL. */
static const char *parse_hba(const char *p, unsigned int *hba)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	char *end;
	errno = 0;
	unsigned long v = strtoul(p, &end, 10);
	if (errno || *end != '/' || v > 0xffffffffUL)
		return NULL;
	*hba = (unsigned int)v;
	return end;
}

int tcmud_uio_name_parse(const char *name, struct tcmud_uio_name *out)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(name, UIO_PREFIX, strlen(UIO_PREFIX)) != 0)
		return -EINVAL;
	const char *p = parse_hba(name + strlen(UIO_PREFIX), &out->hba);
	if (!p)
		return -EINVAL;
	const char *dev = p + 1;
	size_t total = trimmed_length(dev);
	const char *slash = memchr(dev, '/', total);
	size_t dev_n = slash ? (size_t)(slash - dev) : total;
	if (dev_n == 0)
		return -EINVAL;
	int rc = copy_part(out->dev, sizeof(out->dev), dev, dev_n);
	if (rc || !slash)
		return rc;
	/* The rest is dev_config; it may itself contain '/'. */
	char cfg[2 * TCMUD_NAME_MAX];
	rc = copy_part(cfg, sizeof(cfg), slash + 1, total - dev_n - 1);
	if (rc)
		return rc;
	return tcmud_dev_config_split(cfg, out->subtype, sizeof(out->subtype),
				      out->cfgstring, sizeof(out->cfgstring));
}
