-- Staff roles (issue 14, "Staff and roles").
--
-- agent: works tickets; supervisor: an agent's actions plus approving risky actions, reassigning
-- and the reports; admin: a supervisor's plus staff management (the staff page: roles, disable,
-- enable, authenticator resets, unlocking colleagues). New staff are agents unless `staff add
-- --role` says otherwise.
ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor', 'admin'));

-- Staff that exist when this runs could do everything before roles existed (every staff member
-- could reach the staff page), so they keep that: they become admins. An operator demotes them
-- with `npm run portal -- staff role --email E --role agent`.
UPDATE staff SET role = 'admin';
