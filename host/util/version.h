/*
 * version.h - the host's version, recorded with every generation.
 */
#ifndef HOST_VERSION_H
#define HOST_VERSION_H

#define HOST_VERSION "0.1.0"

#endif
