/** @cachework/node entry. */
export {}
