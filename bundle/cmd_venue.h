/* cmd_venue.h - kiemthu-bundle venue: write the evidence's venue.json from
 * the CI's environment (core/venue.h), plus --set KEY=VALUE. */
#ifndef KT_CMD_VENUE_H
#define KT_CMD_VENUE_H

int kt_cmd_venue(int argc, char **argv);

#endif
