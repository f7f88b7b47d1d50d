/** @cachework/browser entry. */
export {}
