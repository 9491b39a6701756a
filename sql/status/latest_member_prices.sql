-- The latest session delivered for any index member.
select max(last_delivered) from ops.member_symbols
