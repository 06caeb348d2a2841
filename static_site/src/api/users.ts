/** Admin user management: `/api/users`. */

import type { HttpClient } from "./http.ts";
import type { DeleteUserResult, Page, Role, User, UserCreate, UserUpdate, UserWithCount } from "./types.ts";

export interface UserListQuery {
  limit?: number;
  offset?: number;
  role?: Role;
  q?: string;
  sort?: string;
}

/** Largest page asked for when a whole list is needed (e.g. every client for an owner picker). */
export const LIST_ALL_PAGE_SIZE = 100;
const LIST_ALL_MAX_PAGES = 50;

export function createUsersApi(http: HttpClient) {
  const path = (id: string) => `/users/${encodeURIComponent(id)}`;
  return {
    list(query: UserListQuery = {}): Promise<Page<UserWithCount>> {
      return http.get<Page<UserWithCount>>("/users", { ...query });
    },
    /** Every user of a role, following pages. */
    async listAll(role?: Role): Promise<User[]> {
      const all: User[] = [];
      for (let page = 0; page < LIST_ALL_MAX_PAGES; page++) {
        const res = await http.get<Page<User>>("/users", { role, limit: LIST_ALL_PAGE_SIZE, offset: all.length });
        all.push(...res.items);
        if (res.items.length === 0 || all.length >= res.total) break;
      }
      return all;
    },
    get(id: string): Promise<User> {
      return http.get<User>(path(id));
    },
    create(body: UserCreate): Promise<User> {
      return http.post<User>("/users", body);
    },
    update(id: string, body: UserUpdate): Promise<User> {
      return http.patch<User>(path(id), body);
    },
    remove(id: string): Promise<DeleteUserResult> {
      return http.delete<DeleteUserResult>(path(id));
    },
  };
}

export type UsersApi = ReturnType<typeof createUsersApi>;
