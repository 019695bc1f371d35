/*
 * Declarations shared by the policy/ sources: the parsed form of an IAM
 * policy and the helpers that build and match it.
 */
#ifndef ECRD_POLICY_POLICY_INT_H
#define ECRD_POLICY_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

struct json_object;

/* The principal forms IAM accepts in Principal and NotPrincipal. */
enum iam_principal_kind {
	IAM_PRINCIPAL_ANY,     /* "*" or {"AWS": "*"} */
	IAM_PRINCIPAL_ACCOUNT, /* "123456789012" or the root ARN */
	IAM_PRINCIPAL_ARN,     /* a user or assumed-role ARN */
	IAM_PRINCIPAL_ROLE,    /* arn:...:iam::ACCT:role/[PATH/]NAME */
	IAM_PRINCIPAL_OTHER,   /* Service, Federated, CanonicalUser */
};

struct iam_principal {
	enum iam_principal_kind kind;
	char *value;           /* as written */
	char partition[16];    /* ARN forms only */
	char account[13];      /* ACCOUNT, ARN, ROLE */
	const char *role_name; /* ROLE: points into value */
};

struct iam_strlist {
	char **v;
	size_t n;
};

/* Condition operator families; "Not" forms set iam_cond.negate. */
enum iam_cond_op {
	IAM_OP_STR_EQ,
	IAM_OP_STR_EQ_ICASE,
	IAM_OP_STR_LIKE,
	IAM_OP_ARN_LIKE, /* ArnEquals and ArnLike alike */
	IAM_OP_NUM_EQ,
	IAM_OP_NUM_LT,
	IAM_OP_NUM_LE,
	IAM_OP_NUM_GT,
	IAM_OP_NUM_GE,
	IAM_OP_DATE_EQ,
	IAM_OP_DATE_LT,
	IAM_OP_DATE_LE,
	IAM_OP_DATE_GT,
	IAM_OP_DATE_GE,
	IAM_OP_BOOL,
	IAM_OP_NULL,
	IAM_OP_IP,
};

enum iam_cond_set {
	IAM_SET_NONE,
	IAM_SET_ANY, /* ForAnyValue: */
	IAM_SET_ALL, /* ForAllValues: */
};

/* The condition keys the evaluator knows; the rest are always absent. */
enum iam_cond_key {
	IAM_KEY_UNKNOWN,
	IAM_KEY_PRINCIPAL_ACCOUNT,
	IAM_KEY_PRINCIPAL_ARN,
	IAM_KEY_USERNAME,
	IAM_KEY_SOURCE_IP,
	IAM_KEY_CURRENT_TIME,
	IAM_KEY_EPOCH_TIME,
	IAM_KEY_SECURE_TRANSPORT,
	IAM_KEY_REQUEST_TAG, /* aws:RequestTag/<tag> */
	IAM_KEY_TAG_KEYS,
	IAM_KEY_RESOURCE_TAG, /* aws:ResourceTag/<tag>, ecr:ResourceTag/ */
};

struct iam_cidr {
	int family; /* 4 or 6 */
	unsigned char addr[16];
	unsigned prefix; /* bits */
};

/* One condition value, pre-parsed for its operator. */
struct iam_cond_value {
	char *s;              /* as written (numbers as text) */
	double num;           /* IAM_OP_NUM_* */
	int64_t ms;           /* IAM_OP_DATE_*: epoch milliseconds */
	bool b;               /* IAM_OP_BOOL, IAM_OP_NULL */
	struct iam_cidr cidr; /* IAM_OP_IP */
};

struct iam_cond {
	enum iam_cond_op op;
	enum iam_cond_set set;
	bool negate;
	bool if_exists;
	enum iam_cond_key key;
	char *key_name;  /* as written */
	const char *tag; /* *_TAG: points into key_name */
	struct iam_cond_value *v;
	size_t n;
};

struct iam_stmt {
	char *sid; /* NULL if none */
	bool deny;
	bool has_principal;
	bool not_principal;
	struct iam_principal *principals;
	size_t n_principals;
	bool not_action;
	struct iam_strlist actions;
	bool has_resource;
	bool not_resource;
	struct iam_strlist resources;
	struct iam_cond *conds;
	size_t n_conds;
};

struct policy {
	unsigned flags;
	struct iam_stmt *stmts;
	size_t n_stmts;
};

/*
 * Set *cause (if cause is not NULL) to the formatted message and return rc,
 * so a parser fails in one line.
 */
int iam_fail(char **cause, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Borrow o as a string without NULs into *s (it lives as long as o), or
 * fail with POLICY_INVALID naming `where`.
 */
int iam_get_string(struct json_object *o, const char *where, const char **s,
    char **cause);
/*
 * Parse len bytes as strict JSON (valid UTF-8, nothing but whitespace after
 * the value). POLICY_OK with *out set (put it when done), or POLICY_SYNTAX
 * with *cause set.
 */
int iam_json_parse(const char *text, size_t len, struct json_object **out,
    char **cause);

/*
 * Parse the Condition object c of statement `where` (e.g. "Statement[0]")
 * into st. Returns POLICY_OK or POLICY_INVALID with *cause set; on failure
 * st may hold part of the conditions, which iam_conds_free releases.
 */
int iam_conds_parse(struct json_object *c, const char *where,
    struct iam_stmt *st, char **cause);
void iam_conds_free(struct iam_cond *, size_t);
/* Whether every condition of st holds for req. */
bool iam_conds_eval(const struct iam_stmt *st,
    const struct policy_request *req);

/*
 * ARN fields: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE. Fills the
 * six start offsets and lengths; false if s has fewer than five colons or
 * does not start with "arn:".
 */
bool iam_arn_split(const char *s, const char *field[6], size_t field_len[6]);

#endif
