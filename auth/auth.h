/* The auth module's three parts: SigV4, registry tokens, credentials. */
#ifndef ECRD_AUTH_AUTH_H
#define ECRD_AUTH_AUTH_H

#include "auth/creds.h"
#include "auth/regtoken.h"
#include "auth/sigv4.h"

#endif
