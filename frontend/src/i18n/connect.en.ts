// English strings of connecting accounts (the accounts page's actions, the
// credential forms, the choice of accounts, the result page) and of the
// notifications bell; spread into en.ts. connect.hi.ts must have exactly
// the same keys.

export const connectEn = {
  // Accounts page
  'connect.button': 'Connect a {platform} account',
  'connect.chooseOrg': 'Choose an organisation above to connect its accounts.',
  'connect.cannot': 'Accounts cannot be connected here: {reason}',
  'connect.sandbox': 'Sandbox: connecting opens the sandbox’s own sign-in page, not the real {platform}.',
  'connect.redirectUrl': 'Redirect URL to register with the {platform} app:',
  'connect.opening': 'Opening the {platform} sign-in page…',
  'connect.reconnect': 'Reconnect',
  'connect.reconnectLabel': 'Reconnect {handle} on {platform}',
  'connect.disconnect': 'Disconnect',
  'connect.disconnectLabel': 'Disconnect {handle} on {platform}',
  'connect.disconnectQuestion': 'Disconnect {handle}? Prasar stops publishing to it and forgets its access.',
  'connect.disconnectConfirm': 'Yes, disconnect',
  'connect.disconnectCancel': 'Keep it connected',
  'connect.disconnected': '{handle} was disconnected.',
  'connect.disconnectedRevoked': '{handle} was disconnected, and its access was revoked on {platform}.',
  'connect.renew': 'Renew now',
  'connect.renewLabel': 'Renew the connection of {handle} now',
  'connect.renewed': 'The connection of {handle} was renewed.',
  'connect.expiresIn': 'Expires in {days} days: reconnect before then.',
  'connect.expiresDay': 'Expires within a day: reconnect now.',
  'connect.expired': 'Expired',
  'connect.waiting': 'Posts for this account wait until it is reconnected.',
  'connect.actions': 'Actions',
  'connect.col.actions': 'Connection',

  // Credential form
  'connect.form.title': 'Connect a {platform} account',
  'connect.form.titleReconnect': 'Reconnect {handle}',
  'connect.form.intro': 'Enter the details {platform} gave you. Prasar checks them with {platform} before it connects the account.',
  'connect.form.intro.telegram': 'Create a bot with @BotFather, add it to your channel as an administrator allowed to post messages, then enter the bot’s token and the channel.',
  'connect.form.intro.bluesky': 'In Bluesky, create an app password (Settings → Privacy and security → App passwords), then enter the account’s handle and that app password — never the account’s own password.',
  'connect.form.org': 'Organisation',
  'connect.form.secretHint': 'Kept encrypted; it is never shown again.',
  'connect.form.submit': 'Check and connect',
  'connect.form.cancel': 'Back to accounts',
  'connect.form.notForm': '{platform} accounts are connected by signing in on {platform}, not with a form.',
  'connect.field.bot_token': 'Bot token',
  'connect.field.bot_token.help': 'The token @BotFather gave when the bot was created (or a new one from /token).',
  'connect.field.channel': 'Channel',
  'connect.field.channel.help': 'The channel’s public @username, or its numeric id (-100…) for a private channel.',
  'connect.field.handle': 'Handle',
  'connect.field.handle.help': 'The account’s handle, such as agriharyana.bsky.social (without @).',
  'connect.field.app_password': 'App password',
  'connect.field.app_password.help': 'Looks like xxxx-xxxx-xxxx-xxxx.',
  'connect.fe.credentials_refused': '{platform} did not accept these details: {detail}',
  'connect.fe.unknown_field': 'Prasar does not know this field.',

  // Choice of accounts
  'connect.select.title': 'Choose the {platform} accounts to connect',
  'connect.select.intro': 'Your sign-in on {platform} gives access to these accounts. Choose those that belong to {org}.',
  'connect.select.until': 'This choice stays open until {time}.',
  'connect.select.registered': 'Already registered to the organisation: choosing it reconnects it.',
  'connect.select.problem': 'Cannot be chosen: {problem}',
  'connect.select.submit': 'Connect the chosen accounts',
  'connect.select.none': 'Choose at least one account.',
  'connect.select.legend': 'Accounts',
  'connect.select.gone': 'This choice of accounts has expired, was already made, or belongs to another sign-in. Connect again from the accounts page.',

  // Result
  'connect.result.title': 'Connecting {platform}',
  'connect.result.ok': 'Connected. Prasar can now publish to:',
  'connect.result.failed': 'No account was connected.',
  'connect.result.platformSaid': 'What {platform} said: {detail}',
  'connect.result.again': 'Connect again',
  'connect.result.back': 'Back to accounts',
  'connect.reason.state': 'This connection request is unknown, was already used, or was started in another sign-in or browser. Start connecting again from the accounts page.',
  'connect.reason.expired': 'The sign-in on {platform} took longer than 10 minutes. Start connecting again.',
  'connect.reason.session': 'You were not signed in to Prasar when {platform} sent you back. Sign in and connect again.',
  'connect.reason.denied': 'Permission was not given on {platform}, so no account was connected.',
  'connect.reason.platform_error': '{platform} reported an error instead of connecting the account.',
  'connect.reason.exchange': '{platform} did not accept the sign-in. Start connecting again.',
  'connect.reason.unavailable': '{platform} could not be reached to complete the connection. Try again in a minute.',
  'connect.reason.mismatch': 'You signed in to {platform} as another account than the one being reconnected. Sign in as that account and reconnect again.',
  'connect.reason.no_accounts': 'The sign-in on {platform} gave access to no account Prasar can publish to.',
  'connect.reason.unusable': 'The account cannot be connected.',
  'connect.reason.other': 'The account could not be connected.',

  // Notifications bell
  'bell.label': 'Notifications',
  'bell.unread': '{n} unread',
  'bell.title': 'Notifications',
  'bell.empty': 'No notifications.',
  'bell.readAll': 'Mark all as read',
  'bell.markRead': 'Mark as read',
  'bell.open': 'Open',
  'bell.new': 'New',
  'bell.loadFailed': 'The notifications could not be loaded.',
} satisfies Record<string, string>;

/** ConnectKey is every key of the connection strings. */
export type ConnectKey = keyof typeof connectEn;
