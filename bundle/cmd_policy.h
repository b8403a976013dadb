/* cmd_policy.h - kiemthu-bundle check-policy: validate a policy and, given an
 * evidence folder, print its check table without signing anything. */
#ifndef KT_CMD_POLICY_H
#define KT_CMD_POLICY_H

/* The command's main: argv[0] is "check-policy". Returns the exit status. */
int kt_cmd_check_policy(int argc, char **argv);

#endif
