#ifndef ASSIST_CLIBGIT2_SHIM_H
#define ASSIST_CLIBGIT2_SHIM_H
#include <git2.h>
#endif
