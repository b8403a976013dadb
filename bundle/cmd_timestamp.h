/* cmd_timestamp.h - kiemthu-bundle timestamp BUNDLE --tsa URL -o OUT: add an
 * RFC 3161 token over the envelope to a bundle that has none (a command: it
 * prints). */
#ifndef KT_CMD_TIMESTAMP_H
#define KT_CMD_TIMESTAMP_H

int kt_cmd_timestamp(int argc, char **argv);

#endif
